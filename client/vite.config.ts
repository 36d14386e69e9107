import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';
import { VitePWA } from 'vite-plugin-pwa';

// The PWA: the app shell is precached by a generated service worker, so after one visit the app opens with
// no network at all. API, sync and health requests never come from the cache.
export default defineConfig({
  plugins: [
    react(),
    VitePWA({
      registerType: 'autoUpdate',
      injectRegister: null,
      strategies: 'generateSW',
      filename: 'sw.js',
      manifest: {
        name: 'Commonroom',
        short_name: 'Commonroom',
        description: 'Messages for your college, online or off.',
        start_url: '/',
        scope: '/',
        display: 'standalone',
        background_color: '#ffffff',
        theme_color: '#4a154b',
        icons: [
          { src: '/icons/icon-192.png', sizes: '192x192', type: 'image/png' },
          { src: '/icons/icon-512.png', sizes: '512x512', type: 'image/png' },
          { src: '/icons/icon-maskable-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
        ],
      },
      workbox: {
        globPatterns: ['**/*.{js,css,html,png,svg,webmanifest}'],
        navigateFallback: '/index.html',
        navigateFallbackDenylist: [/^\/api\//, /^\/sync/, /^\/healthz/],
        cleanupOutdatedCaches: true,
        // The push and notification-click handlers (src/push/push-sw.ts, built as /push-sw.js below).
        importScripts: ['/push-sw.js'],
      },
    }),
  ],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 400,
    rollupOptions: {
      // The service worker's push handlers are a second entry with a fixed name, so the generated
      // service worker can import them; they import nothing, so they share no chunk with the app.
      input: { index: 'index.html', 'push-sw': 'src/push/push-sw.ts' },
      output: {
        entryFileNames: (chunk) => (chunk.name === 'push-sw' ? 'push-sw.js' : 'assets/[name]-[hash].js'),
      },
    },
  },
  server: {
    proxy: { '/api': 'http://127.0.0.1:8787', '/sync': { target: 'ws://127.0.0.1:8787', ws: true } },
  },
});
