/**
 * The answers of the relay's analytics API, as `@sentiero/protocol` defines them (one place for
 * their shapes). Every string in them (URLs, selectors, labels, event and field names) is recorded
 * content: the views show it as text only.
 */
export {
  type FieldFigures, type FormsAnswer, type FrustrationAnswer, type FrustrationTarget, type FunnelAnswer, type FunnelRequest, type FunnelStep,
  type HeatmapAnswer, MAX_FUNNEL_STEPS, type OverviewAnswer, type PageFigures, type PagesAnswer, type Segment, type SegmentFilter,
  VITAL_THRESHOLDS, type VitalFigures, type VitalName, type VitalRating, rateVital,
} from '@sentiero/protocol';
