// The operator console's build: a single-page app bundled by Vite into dist/console/, served by the backend under
// /console/. Everything is bundled (no CDN), and nothing is inlined into index.html, so the backend's
// Content-Security-Policy can forbid inline scripts and styles.

import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/console/',
  build: {
    outDir: fileURLToPath(new URL('../dist/console', import.meta.url)),
    emptyOutDir: true,
    // An inlined asset would be a data: URL; keep every asset a file of its own.
    assetsInlineLimit: 0,
    sourcemap: true,
    target: 'es2022',
    rollupOptions: {
      onwarn(warning, warn) {
        // swr marks its modules 'use client' for React Server Components; a client-only bundle has no use for it.
        if (warning.code === 'MODULE_LEVEL_DIRECTIVE') return;
        warn(warning);
      },
    },
  },
  test: {
    root: fileURLToPath(new URL('..', import.meta.url)),
    include: ['test/console/**/*.spec.tsx'],
    environment: 'jsdom',
  },
});
