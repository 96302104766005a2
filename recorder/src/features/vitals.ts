/**
 * Web Vitals (`sentiero/vitals@1`, option `webVitals`): LCP, INP, CLS, FCP and TTFB measured
 * by Google's `web-vitals` library, each final report written as `sentiero/vital@1`
 * `{ name, value, rating, href }` (`href`: the URL the page was loaded with). The library's
 * observers cannot be removed, so after `stop()` their reports are ignored.
 */
import { onCLS, onFCP, onINP, onLCP, onTTFB, type Metric } from 'web-vitals';
import { CustomTag } from '@sentiero/protocol';
import { RecorderErrorCode } from '../errors.ts';
import { customEvent } from './custom-event.ts';
import type { Feature } from './feature.ts';

/** The feature. */
export const vitalsFeature: Feature = {
  name: 'sentiero/vitals@1',
  setup(host) {
    let active = true;
    const report = (metric: Metric): void => {
      if (!active) return;
      try {
        if (!Number.isFinite(metric.value)) return;
        const payload = { name: metric.name, value: metric.value, rating: metric.rating, href: metric.navigationURL || location.href };
        host.add(customEvent(CustomTag.VITAL, payload));
      } catch (err) {
        host.report(RecorderErrorCode.INTERNAL, `recording ${metric?.name} failed`, err);
      }
    };
    for (const on of [onLCP, onINP, onCLS, onFCP, onTTFB]) {
      try {
        on(report);
      } catch (err) {
        host.report(RecorderErrorCode.INTERNAL, 'starting a Web Vitals observer failed', err);
      }
    }
    return () => {
      active = false;
    };
  },
};
