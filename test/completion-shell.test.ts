// `poolform completion bash` works in a real bash: completing command names,
// subcommands and options. Integration: it runs the CLI and bash.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const hasBash = spawnSync('bash', ['--version']).status === 0;

function complete(script: string, words: string[]): string[] {
  const line = `COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _poolform; printf '%s\\n' "\${COMPREPLY[@]}"`;
  const r = spawnSync('bash', ['-c', `${script}\n${line}`], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.split('\n').filter(Boolean);
}

describe.skipIf(!hasBash)('poolform completion bash, in bash', () => {
  const r = spawnSync(process.execPath, [`${root}bin/poolform.js`, 'completion', 'bash'], { encoding: 'utf8' });

  it('completes commands, subcommands and options', () => {
    expect(r.status, r.stderr).toBe(0);
    expect(complete(r.stdout, ['poolform', 'pl'])).toEqual(['plan']);
    expect(complete(r.stdout, ['poolform', 'state', 'l'])).toEqual(['list']);
    expect(complete(r.stdout, ['poolform', 'plan', '--detailed'])).toEqual(['--detailed-exitcode']);
    expect(complete(r.stdout, ['poolform', 'state', 'show', '--j'])).toEqual(['--json']);
  });
});
