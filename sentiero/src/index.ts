/** The `sentiero` package's API: `@sentiero/relay`'s, re-exported (createRelay, the stores, the middleware types). */
export * from '@sentiero/relay';
