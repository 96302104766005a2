/** `@sentiero/viewer`: the replay and live-watch UI, for the dashboard, the DevTools panel and VS Code. */
export * from './host.ts';
export { copyText } from './clipboard.ts';
export { mountViewer, type ViewerHandle, type ViewerOptions } from './mount.ts';
export { type ListRoute } from './route.ts';
export { DEFAULT_FILTERS, type ListFilters, TimeRange, type TimeRangeKey, matchesFilters, toQuery } from './filters.ts';
export { type InactivePeriod, type Marker, MarkerKind, MarkerReader, extractMarkers, inactivePeriods } from './markers.ts';
export { LagMeter, type LagStats, percentile } from './lag.ts';
export { type StackFrame, parseStack } from './stack.ts';
export { type ClientInfo, describeClient } from './ua.ts';
