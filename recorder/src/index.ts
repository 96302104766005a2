/** @sentiero/recorder: rrweb capture with privacy defaults, batching and a resilient transport to a Sentiero relay. */
export { start, stop, optOut, optIn, addEvent, captureException, identify, getSessionId, getStats } from './api.ts';
export type { RecorderOptions } from './options.ts';
export { DEFAULT_OPTIONS } from './options.ts';
export type { RecorderStats } from './recorder.ts';
export { RecorderError, RecorderErrorCode } from './errors.ts';
export { GapReason, type GapPayload } from './buffer.ts';
export { PRIVACY_SELECTORS } from './privacy.ts';
export { RECORDER_VERSION } from './meta.ts';
