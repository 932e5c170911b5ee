// examples/ci/poolform.yml, run for real: the workflow's own poolform steps
// (validate --format github, plan --format markdown --detailed-exitcode
// -out, apply of the saved plan) are taken from the YAML and run with bash
// against a config repository on a shared PostgreSQL state, as GitHub
// Actions would run them. Then the reviewed plan is refused once stale.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { PostgresServer } from './support/postgres.ts';
import { requirePostgres, startPostgres } from './support/postgres.ts';
import { BIN } from './serve-process.ts';
import { testTimeout } from '../src/testing/timeouts.ts';

const run = requirePostgres();
const WORKFLOW = fileURLToPath(new URL('../examples/ci/poolform.yml', import.meta.url));

interface Step {
  name?: string;
  run?: string;
}
interface Workflow {
  env: Record<string, string>;
  jobs: Record<string, { steps: Step[] }>;
}

/** The `run:` scripts of a job that call poolform, by step name. */
function poolformSteps(job: string): Map<string, string> {
  const wf = parse(readFileSync(WORKFLOW, 'utf8')) as Workflow;
  const steps = wf.jobs[job]?.steps ?? [];
  return new Map(steps.filter((s) => s.run?.includes('poolform.js')).map((s) => [s.name ?? '', s.run ?? '']));
}

const POOLS = (servers: string[]): string => `kind: Settings
state:
  backend: postgres
  url: \${env:POOLFORM_DATABASE_URL}
---
kind: Pool
name: lab
type: server
servers:
${servers
  .map(
    (name, i) => `  - name: ${name}
    hostname: 10.0.0.${i + 1}
    connection_type: rdp
    connection_port: 3389
    connection_password: \${env:LAB_PASSWORD}
`,
  )
  .join('')}`;

describe.skipIf(!run)('examples/ci workflow on a PostgreSQL state', () => {
  let pg: PostgresServer | undefined;
  let url = '';
  let repo = '';

  beforeAll(async () => {
    pg = await startPostgres();
    url = await pg.createDatabase();
    repo = mkdtempSync(join(tmpdir(), 'poolform-ci-repo-'));
    mkdirSync(join(repo, 'pools'));
  }, testTimeout(120_000));
  afterAll(async () => {
    await pg?.stop();
    if (repo) rmSync(repo, { recursive: true, force: true });
  });

  /** Runs a step's script with bash -e as Actions does, with poolform from this checkout. */
  function step(script: string): { code: number; stdout: string; stderr: string } {
    const outputs = join(repo, 'github-output');
    writeFileSync(outputs, '');
    const r = spawnSync('bash', ['-e', '-c', script.replaceAll('.poolform/bin/poolform.js', BIN)], {
      cwd: repo,
      encoding: 'utf8',
      timeout: 120_000,
      env: {
        PATH: process.env['PATH'] ?? '/usr/bin:/bin',
        HOME: process.env['HOME'] ?? '/tmp',
        CONFIG_DIR: 'pools',
        GITHUB_OUTPUT: outputs,
        POOLFORM_DATABASE_URL: url,
        LAB_PASSWORD: 'lab-secret-7f3a',
      },
    });
    return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  }

  it(
    'validates, posts a markdown plan, applies exactly the reviewed plan, and refuses it once stale',
    () => {
      const plan = poolformSteps('plan');
      const apply = poolformSteps('apply');
      const validateScript = plan.get('validate');
      const planScript = plan.get('plan');
      const applyScript = apply.get('apply the reviewed plan');
      if (!validateScript || !planScript || !applyScript) throw new Error(`workflow steps not found: ${[...plan.keys(), ...apply.keys()].join(', ')}`);

      // A pull request with an invalid file: validate fails with a GitHub annotation.
      writeFileSync(join(repo, 'pools', 'lab.yaml'), 'kind: Pool\nname: lab\ntype: nonsense\n');
      const bad = step(validateScript);
      expect(bad.code).toBe(1);
      expect(bad.stdout).toMatch(/^::error file=pools\/lab\.yaml,line=\d+/m);

      // Fixed: validate passes, plan comments the changes (exit 2 recorded), secrets redacted.
      writeFileSync(join(repo, 'pools', 'lab.yaml'), POOLS(['ws1', 'ws2']));
      expect(step(validateScript).code).toBe(0);
      const planned = step(planScript);
      expect(planned.stderr).toBe('');
      expect(planned.code).toBe(0);
      expect(readFileSync(join(repo, 'github-output'), 'utf8')).toContain('exitcode=2');
      const md = readFileSync(join(repo, 'plan.md'), 'utf8');
      expect(md).toContain('Plan: 2 to add, 0 to change, 0 to destroy');
      expect(md).toContain('server.lab.ws1');
      expect(md + readFileSync(join(repo, 'plan.json'), 'utf8')).not.toContain('lab-secret-7f3a');

      // Merged: the saved plan is applied as reviewed.
      const applied = step(applyScript);
      expect(applied.stderr).toBe('');
      expect(applied.code).toBe(0);
      expect(applied.stdout).toContain('Apply complete! Resources: 2 added');

      // The same saved plan again: the state moved since the review, so it is refused.
      const stale = step(applyScript);
      expect(stale.code).toBe(1);
      expect(stale.stderr).toContain('Saved plan is stale');

      // Nothing left to do: plan records exit code 0.
      expect(step(planScript).code).toBe(0);
      expect(readFileSync(join(repo, 'github-output'), 'utf8')).toContain('exitcode=0');
    },
    testTimeout(240_000),
  );
});
