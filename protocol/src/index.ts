export * from './errors.ts';
export * from './ids.ts';
export * from './limits.ts';
export * from './messages.ts';
export * from './validate.ts';
export * from './client.ts';
export * from './error-groups.ts';
export * from './analytics.ts';
