// The console (index.html) and the viewer (preview/preview.html, the SDKs' preview page) are
// built into dist/, which the server embeds. Builds are reproducible: the same sources and
// lockfile give the same bytes, which .ci/run checks against the committed dist/.
import { defineConfig } from 'vite';
import preact from '@preact/preset-vite';
import { fileURLToPath } from 'node:url';

// Not import.meta.dirname: Debian's Node 18 lacks it.
const here = (path) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  plugins: [preact({ devToolsInProd: false, prefreshEnabled: false })],
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2020',
    sourcemap: false,
    modulePreload: { polyfill: false },
    rollupOptions: {
      input: {
        console: here('./index.html'),
        viewer: here('./preview/preview.html'),
        share: here('./share.html'),
        embed: here('./embed.html'),
      },
    },
  },
});
