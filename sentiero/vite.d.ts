/** The relay's Vite plugin, re-exported: `import { sentieroVite } from 'sentiero/vite'`. */
export * from '@sentiero/relay/vite';
