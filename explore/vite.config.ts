import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { ISOLATION_HEADERS } from './headers.js';

const here = dirname(fileURLToPath(import.meta.url));

/** The explorer page: explore/ bundled into dist/explore (STRATA_EXPLORE_OUT overrides). */
export default defineConfig({
  root: here,
  base: './',
  publicDir: process.env.STRATA_EXPLORE_PUBLIC ?? resolve(here, '../build/explore-public'),
  logLevel: 'warn',
  build: {
    outDir: process.env.STRATA_EXPLORE_OUT ?? resolve(here, '../dist/explore'),
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 2000,
  },
  worker: { format: 'es' },
  server: { headers: ISOLATION_HEADERS },
  preview: { headers: ISOLATION_HEADERS },
});
