// Vite build of the bank/operator dashboard into dashboard/dist, served by the gateway
// (@fastify/static). Preact through Vite's own JSX transform (oxc), no babel preset.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: './',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 1200 },
  server: {
    // `npm run dashboard:dev`: proxy the API to a running gateway (PG_GATEWAY_URL).
    proxy: { '/api': process.env.PG_GATEWAY_URL ?? 'http://127.0.0.1:8080' },
  },
});
