/** `npx vite examples/vite`: Vite's dev server with the Sentiero relay on it and the recorder in its pages. */
import { defineConfig } from 'vite';
import { sentieroVite } from '@sentiero/relay/vite';

export default defineConfig({
  plugins: [sentieroVite()],
});
