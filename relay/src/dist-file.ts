/** Where the browser bundles the relay serves or inlines are: files of the installed `@sentiero/recorder` and `@sentiero/viewer` packages. */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** Resolves a file of an installed package's `dist/` folder (the relay depends on both), or undefined when it is missing or not built. */
export function distFile(specifier: string): string | undefined {
  try {
    return require.resolve(specifier);
  } catch {
    return undefined;
  }
}

/** What to do when a bundle is missing. */
export const NOT_BUILT = 'install @sentiero/recorder and @sentiero/viewer next to @sentiero/relay, or in a checkout run `npm run build`';
