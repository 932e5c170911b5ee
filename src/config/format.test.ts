import { describe, expect, it } from 'vitest';
import type { Diagnostic } from './model.ts';
import { formatGithub, formatJson, formatText, jsonReport, summarize } from './format.ts';

const diagnostics: Diagnostic[] = [
  {
    severity: 'error',
    code: 'unknown-reference',
    message: 'VmProvider "aws" is not defined',
    file: 'pools/a.yaml',
    line: 2,
    column: 18,
    path: '/autoscale/0/vm_provider',
  },
  { severity: 'warning', code: 'tls-insecure', message: 'does not verify, really', file: 'ldap.yaml', line: 1, column: 1, path: '/tls_insecure_skip_verify' },
  { severity: 'error', code: 'no-config-files', message: 'nothing here', file: '', line: 0, column: 0, path: '' },
];
const lines: Record<string, string[]> = { 'pools/a.yaml': ['kind: Pool', '    vm_provider: aws'], 'ldap.yaml': ['tls_insecure_skip_verify: true'] };
const sourceLine = (file: string, line: number) => lines[file]?.[line - 1];

describe('formatText', () => {
  it('prints path:line:col: severity CODE: message, the source line with a caret, and a summary', () => {
    const out = formatText(diagnostics, { dir: 'conf', sourceLine });
    expect(out.split('\n')).toEqual([
      'conf/pools/a.yaml:2:18: error unknown-reference: VmProvider "aws" is not defined',
      '      vm_provider: aws',
      '                   ^',
      'conf/ldap.yaml:1:1: warning tls-insecure: does not verify, really',
      '  tls_insecure_skip_verify: true',
      '  ^',
      'conf: error no-config-files: nothing here',
      'invalid: 2 errors, 1 warning',
      '',
    ]);
  });
  it('says valid with only warnings', () => {
    expect(formatText([], { dir: '' })).toBe('valid: 0 warnings\n');
    expect(formatText(diagnostics.slice(1, 2), { dir: '', sourceLine }).endsWith('valid: 1 warning\n')).toBe(true);
  });
});

describe('formatJson', () => {
  it('has valid, counts and diagnostics with every field', () => {
    const parsed = JSON.parse(formatJson(diagnostics)) as ReturnType<typeof jsonReport>;
    expect(parsed.valid).toBe(false);
    expect(parsed.error_count).toBe(2);
    expect(parsed.warning_count).toBe(1);
    expect(parsed.diagnostics[0]).toEqual(diagnostics[0]);
    expect(Object.keys(parsed.diagnostics[1] ?? {}).sort()).toEqual(['code', 'column', 'file', 'line', 'message', 'path', 'severity']);
    expect(summarize(diagnostics.slice(1))).toEqual({ valid: false, error_count: 1, warning_count: 1 });
  });
});

describe('formatGithub', () => {
  it('prints workflow commands with escaped properties', () => {
    const out = formatGithub(diagnostics, { dir: '' });
    expect(out.split('\n')).toEqual([
      '::error file=pools/a.yaml,line=2,col=18::unknown-reference: VmProvider "aws" is not defined',
      '::warning file=ldap.yaml,line=1,col=1::tls-insecure: does not verify, really',
      '::error::no-config-files: nothing here',
      '',
    ]);
    const tricky: Diagnostic = { severity: 'error', code: 'x', message: 'a%b\nc', file: 'a,b:c.yaml', line: 1, column: 2, path: '' };
    expect(formatGithub([tricky], { dir: '' })).toBe('::error file=a%2Cb%3Ac.yaml,line=1,col=2::x: a%25b%0Ac\n');
  });
});
