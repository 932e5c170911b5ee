// Validate benchmark: generates a config of 1,000 pools, 10,000 fixed servers
// and 1,000 autoscale configs, then measures loadConfig (parse + schema +
// rules) against parsing the same files with `yaml` alone, in the same run.
import { mkdtemp, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseAllDocuments } from 'yaml';
import { loadConfig } from '../src/config/load.ts';

const POOLS = 1000;
const SERVERS_PER_POOL = 10;
const FILES = 100;
const RUNS = 5;

function pool(i: number): string {
  const servers = Array.from({ length: SERVERS_PER_POOL }, (_, s) =>
    [
      `  - name: srv-${s}`,
      `    friendly_name: Server ${i}-${s}`,
      `    hostname: 10.${Math.floor(i / 250)}.${i % 250}.${s + 1}`,
      '    connection_type: rdp',
      '    connection_port: 3389',
      '    connection_username: "{sso_username}"',
      '    connection_password: "{sso_cred}"',
      '    max_simultaneous_sessions: 2',
    ].join('\n'),
  ).join('\n');
  return `kind: Pool
name: pool-${i}
type: server
description: Generated pool ${i}
servers:
${servers}
autoscale:
  - name: scale
    vm_provider: local
    connection_type: rdp
    connection_port: 3389
    connection_password: \${env:RDP_PASSWORD}
    minimum_available_sessions: 2
    max_simultaneous_sessions_per_server: 2
    schedules:
      - { days: [mon, tue, wed, thu, fri], start: "07:00", end: "18:00", timezone: America/New_York }
`;
}

async function generate(dir: string): Promise<void> {
  await writeFile(
    join(dir, 'provider.yaml'),
    'kind: VmProvider\nname: local\ntype: local\nmax_instances: 5000\nstartup_script: |\n  #!/bin/sh\n  echo {server_id} {checkin_jwt}\n',
  );
  const perFile = POOLS / FILES;
  for (let f = 0; f < FILES; f++) {
    await mkdir(join(dir, `team-${f % 10}`), { recursive: true });
    const docs = Array.from({ length: perFile }, (_, k) => pool(f * perFile + k)).join('---\n');
    await writeFile(join(dir, `team-${f % 10}`, `pools-${f}.yaml`), docs);
  }
}

async function parseOnly(dir: string): Promise<number> {
  let docs = 0;
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.name.endsWith('.yaml')) {
        for (const doc of parseAllDocuments(await readFile(p, 'utf8'))) {
          doc.toJS();
          docs++;
        }
      }
    }
  };
  await walk(dir);
  return docs;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

const dir = await mkdtemp(join(tmpdir(), 'poolform-bench-'));
try {
  await generate(dir);
  // First (cold) run includes compiling the ajv validator once for the process.
  let t = performance.now();
  const first = await loadConfig(dir);
  const coldMs = performance.now() - t;
  if (!first.config) throw new Error(`generated config is invalid: ${JSON.stringify(first.diagnostics.slice(0, 3))}`);
  const servers = first.config.pools.reduce((n, p) => n + (p.servers?.length ?? 0), 0);
  const autoscale = first.config.pools.reduce((n, p) => n + (p.autoscale?.length ?? 0), 0);
  console.log(`generated ${first.config.pools.length} pools, ${servers} fixed servers, ${autoscale} autoscale configs in ${FILES + 1} files`);

  const validateTimes: number[] = [];
  const parseTimes: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    t = performance.now();
    await parseOnly(dir);
    parseTimes.push(performance.now() - t);
    t = performance.now();
    await loadConfig(dir);
    validateTimes.push(performance.now() - t);
  }
  const validateMs = median(validateTimes);
  const parseMs = median(parseTimes);
  const ratio = validateMs / parseMs;
  console.log(`validate (cold, first run): ${coldMs.toFixed(0)} ms`);
  console.log(`validate (median of ${RUNS}):  ${validateMs.toFixed(0)} ms`);
  console.log(`yaml parse only (median):   ${parseMs.toFixed(0)} ms`);
  console.log(`ratio validate / parse:     ${ratio.toFixed(2)}x`);
  console.log(
    JSON.stringify({
      bench: 'validate',
      pools: first.config.pools.length,
      fixed_servers: servers,
      autoscale_configs: autoscale,
      validate_ms: Math.round(validateMs),
      validate_cold_ms: Math.round(coldMs),
      yaml_parse_ms: Math.round(parseMs),
      ratio_to_yaml_parse: Number(ratio.toFixed(2)),
    }),
  );
} finally {
  await rm(dir, { recursive: true, force: true });
}
