// Import scan: dependencies point one way (docs/architecture.md):
//   cli → daemon/server → apply → plan → autoscale → schedule → model,
// with providers/ and state/ beside apply (they import only model/, config/, generated/, util/, and
// template/ for the one table of startup-script size limits);
// config/, generated/, util/, auth/, template/ are shared.
// The pure core (model/ schedule/ autoscale/ plan/) does no I/O: no node:* I/O modules, no
// state/ or providers/, no client libraries, only lower layers and the pure shared modules.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname, '../src');
const RANK: Record<string, number> = { model: 0, schedule: 1, autoscale: 2, plan: 3, apply: 4, providers: 4, state: 4, daemon: 5, server: 5, cli: 6 };
const PURE = new Set(['model', 'schedule', 'autoscale', 'plan']);
/** Modules outside the layers the pure core may use (types and pure helpers). */
const PURE_SHARED = [/^generated\//, /^util\/(errors|duration|display-safe)\.ts$/, /^config\/(model|defaults|lookup)\.ts$/];
const IO_NODE =
  /^node:(fs|fs\/promises|net|http|https|http2|child_process|worker_threads|cluster|dgram|dns|tls|os|readline|sqlite|process|timers|timers\/promises|vm|inspector)$/;
const IO_PACKAGES = /^(pg|ldapts|chokidar|pino|prom-client|hono|@hono\/|@aws-sdk\/)/;
/** providers/ and state/ sit beside apply: they use the model and the shared folders, never each other or the engine. */
const BESIDE = new Set(['providers', 'state']);
const BESIDE_MAY_IMPORT = new Set(['model', 'config', 'generated', 'util', 'template']);

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [join(dir, e.name)] : [],
  );
}

function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+['"]([^'"]+)['"]/gm), ...text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)].map(
    (m) => m[1] ?? '',
  );
}

function violations(): string[] {
  const found: string[] = [];
  for (const file of sources(SRC)) {
    const from = relative(SRC, file);
    const layer = from.split('/')[0] ?? '';
    for (const spec of imports(file)) {
      const what = `${from} imports ${spec}`;
      if (!spec.startsWith('.')) {
        if (PURE.has(layer) && (IO_NODE.test(spec) || IO_PACKAGES.test(spec))) found.push(`${what} (I/O in the pure core)`);
        continue;
      }
      const target = relative(SRC, resolve(dirname(file), spec));
      const to = target.split('/')[0] ?? '';
      if (to === layer) continue;
      if (BESIDE.has(layer)) {
        if (!BESIDE_MAY_IMPORT.has(to)) found.push(`${what} (${layer}/ imports only model/, config/, generated/, util/, template/)`);
      } else if (PURE.has(layer)) {
        const lower = RANK[to] !== undefined && PURE.has(to) && (RANK[to] ?? 99) < (RANK[layer] ?? 0);
        if (!lower && !PURE_SHARED.some((re) => re.test(target))) found.push(`${what} (the pure core imports only lower pure layers)`);
      } else if (RANK[layer] !== undefined && RANK[to] !== undefined && (RANK[to] ?? 0) > (RANK[layer] ?? 0)) {
        found.push(`${what} (${to}/ is above ${layer}/)`);
      }
    }
  }
  return found;
}

describe('architecture', () => {
  it('dependencies point one way and the pure core does no I/O', () => {
    expect(violations()).toEqual([]);
  });

  it('the scan sees imports (guards against a scanner that finds nothing)', () => {
    expect(imports(join(SRC, 'plan/planner.ts')).length).toBeGreaterThan(3);
  });
});
