// `npm run build`: bundles src/ into dist/ with rolldown (ES modules, source
// maps). Entries dist/cli/main.js (the CLI) and dist/cli/config-worker.js
// (serve's config-loading worker thread); every dynamic import (each command, each
// provider with an SDK) becomes its own chunk under dist/chunks/, so a command
// loads only what it uses. Dependencies stay in node_modules (external).
//
// The schema validators are compiled here (scripts/build-validators.ts) and
// ship as code in place of src/config/precompiled-validators.ts.
//
// Layout contract: every output file is two folders below the package root
// (dist/cli/, dist/chunks/), like src/<area>/<file>.ts, so a module that finds
// a shipped file relative to itself (`new URL('../../schemas/...', import.meta.url)`)
// finds it in the package as in the clone. test/package.test.ts checks it.
import { rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
// In a clone, `npm ci` / `npm install` run `prepare`: a build that cannot run
// (dev dependencies omitted) or fails (someone's half-edited source) must not
// fail the install, since a clone runs src/ anyway; `npm pack` and a direct
// `npm run build` fail loudly instead, so no tarball ships without dist/.
const lenient = process.env['npm_lifecycle_event'] === 'prepare' && ['ci', 'install'].includes(process.env['npm_command'] ?? '');

async function bundle(): Promise<void> {
  const { build } = await import('rolldown');
  const { precompiledValidatorsModule } = await import('./build-validators.ts');
  const started = Date.now();
  // The schema validators, compiled now rather than at every start (precompiled-validators.ts).
  const validators = precompiledValidatorsModule();
  await rm(`${root}dist`, { recursive: true, force: true });
  await build({
    cwd: root,
    // The config-loading worker thread of serve (src/config/load-worker.ts) is an entry of its own: dist/cli/config-worker.js.
    input: { main: 'src/cli/main.ts', 'config-worker': 'src/config/load-worker-main.ts' },
    platform: 'node',
    plugins: [
      {
        name: 'precompiled-validators',
        load: (id) => (id.endsWith('/src/config/precompiled-validators.ts') ? { code: validators, moduleType: 'js' } : null),
      },
    ],
    // Bare specifiers (npm packages, node: builtins) are loaded from node_modules at run time,
    // except the transform's own helpers (@oxc-project/runtime), which are bundled: they are
    // rolldown's, not a dependency of the package.
    external: (id) => !id.startsWith('.') && !id.startsWith('/') && !id.startsWith('\0') && !id.startsWith('@oxc-project/runtime'),
    logLevel: 'warn',
    output: {
      dir: `${root}dist`,
      format: 'esm',
      sourcemap: true,
      // Maps point at src/ (line numbers for stack traces, `--enable-source-maps`) without
      // embedding the sources: half the package size.
      sourcemapExcludeSources: true,
      entryFileNames: 'cli/[name].js',
      chunkFileNames: 'chunks/[name]-[hash].js',
    },
  });
  console.log(`built dist/ in ${Date.now() - started} ms`);
}

try {
  await bundle();
} catch (error) {
  if (!lenient) throw error;
  console.warn(
    `poolform: dist/ not built (${error instanceof Error ? error.message.split('\n')[0] : String(error)}); this clone runs src/, and \`npm run build\` shows the whole error`,
  );
}
