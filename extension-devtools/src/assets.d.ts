/** Style sheets imported for their side effect: esbuild writes each page's CSS beside its bundle. */
declare module '*.css';
