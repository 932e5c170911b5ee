// loadConfig: a directory of YAML files → a validated Config with defaults
// filled in, or diagnostics (never an exception) that point at file:line:col.
// Stages: discover files → parse YAML (nodes kept) → ajv per document →
// assemble Config → semantic rules (rules/).
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Config, Diagnostic, LoadResult, SourceLocation } from './model.ts';
import type {
  DnsProvider,
  LdapConfig,
  Pool,
  PoolformDocument,
  Settings,
  VmProvider,
  Workspace,
  Zone,
} from '../generated/config.ts';
import { discoverFiles } from './discover.ts';
import { applyPoolDefaults } from './defaults.ts';
import { MAX_FILE_BYTES, MAX_TOTAL_BYTES, parseFile } from './parse.ts';
import type { ParsedDocument } from './parse.ts';
import { validateDocument } from './schema-validator.ts';
import type { SourceDocument } from './source.ts';
import { fromPointer, positionOf, positionOfNode } from './source.ts';
import { createRuleContext } from './rules/context.ts';
import { RULES } from './rules/index.ts';

/** Compares diagnostics by file, line, column (directory-level ones first). */
export function compareDiagnostics(a: Diagnostic, b: Diagnostic): number {
  if (a.file !== b.file) return a.file < b.file ? -1 : 1;
  return a.line - b.line || a.column - b.column;
}

function dirDiagnostic(code: string, message: string): Diagnostic {
  return { severity: 'error', code, message, file: '', line: 0, column: 0, path: '' };
}

/** Settings with every default, for configurations without a Settings document. */
export function defaultSettings(): Settings {
  const settings: Settings = { kind: 'Settings' };
  validateDocument(settings);
  return settings;
}

export interface LoadOptions {
  /** Budget for all files together (default MAX_TOTAL_BYTES); files past it are not read. */
  maxTotalBytes?: number;
}

export async function loadConfig(dir: string, options: LoadOptions = {}): Promise<LoadResult> {
  const root = resolve(dir);
  const info = await stat(root).catch(() => undefined);
  if (!info) return { diagnostics: [dirDiagnostic('config-dir-missing', `config directory ${dir} does not exist`)] };
  if (!info.isDirectory()) return { diagnostics: [dirDiagnostic('config-dir-missing', `${dir} is not a directory`)] };

  const diagnostics: Diagnostic[] = [];
  let files;
  try {
    files = await discoverFiles(root);
  } catch (err) {
    const reason = err instanceof Error && 'code' in err ? String(err.code) : 'read error';
    return { diagnostics: [dirDiagnostic('config-dir-unreadable', `cannot read ${dir} (${reason})`)] };
  }
  if (files.length === 0) {
    return { diagnostics: [dirDiagnostic('no-config-files', `no *.yaml or *.yml files in ${dir}`)] };
  }

  const parsed: ParsedDocument[] = [];
  const budget = options.maxTotalBytes ?? MAX_TOTAL_BYTES;
  let total = 0;
  for (const file of files) {
    const size = (await stat(file.absPath).catch(() => undefined))?.size ?? 0;
    if (size <= MAX_FILE_BYTES) {
      // Files refused for their own size (file-too-large) do not count.
      total += size;
      if (total > budget) {
        const mb = (budget / 1024 / 1024).toFixed(0);
        diagnostics.push({
          severity: 'error',
          code: 'config-too-large',
          message: `the configuration files exceed ${mb} MB together; this file and the ones after it (in path order) are not read`,
          file: file.file,
          line: 1,
          column: 1,
          path: '',
        });
        break;
      }
    }
    const result = await parseFile(file);
    diagnostics.push(...result.diagnostics);
    parsed.push(...result.documents);
  }
  return assemble(root, parsed, diagnostics);
}

/** Schema-validates parsed documents, builds the Config and runs the rules. Exported for tests and tools that parse themselves. */
export function assemble(root: string, parsed: readonly ParsedDocument[], diagnostics: Diagnostic[]): LoadResult {
  const declared = new Map<string, Set<string>>();
  const valid: { source: SourceDocument; value: PoolformDocument }[] = [];
  for (const { source, value } of parsed) {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      const { kind, name } = value as Record<string, unknown>;
      if (typeof kind === 'string' && typeof name === 'string') {
        let names = declared.get(kind);
        if (!names) declared.set(kind, (names = new Set()));
        names.add(name);
      }
    }
    const issues = validateDocument(value);
    for (const issue of issues) {
      const pos = positionOf(source, fromPointer(issue.pointer), issue.target);
      diagnostics.push({
        severity: 'error',
        code: issue.code ?? 'schema',
        message: issue.message,
        file: source.file,
        line: pos.line,
        column: pos.column,
        path: issue.pointer,
      });
    }
    if (issues.length === 0) valid.push({ source, value: value as PoolformDocument });
  }

  const config: Config = {
    dir: root,
    settings: defaultSettings(),
    zones: [],
    vmProviders: [],
    dnsProviders: [],
    ldapConfigs: [],
    workspaces: [],
    pools: [],
    sources: {},
  };
  const sourceMap = new WeakMap<object, SourceDocument>();
  const settingsDocs: Settings[] = [];
  for (const { source, value } of valid) {
    sourceMap.set(value, source);
    const loc = positionOfNode(source, source.doc.contents);
    const where: SourceLocation = { file: source.file, line: loc.line, column: loc.column };
    const remember = (key: string): void => {
      if (!(key in config.sources)) config.sources[key] = where;
    };
    switch (value.kind) {
      case 'Settings':
        settingsDocs.push(value);
        remember('Settings');
        break;
      case 'Zone':
        config.zones.push(value as Zone);
        remember(`Zone/${value.name}`);
        break;
      case 'VmProvider':
        config.vmProviders.push(value as VmProvider);
        remember(`VmProvider/${value.name}`);
        break;
      case 'DnsProvider':
        config.dnsProviders.push(value as DnsProvider);
        remember(`DnsProvider/${value.name}`);
        break;
      case 'LdapConfig':
        config.ldapConfigs.push(value as LdapConfig);
        remember(`LdapConfig/${value.name}`);
        break;
      case 'Workspace':
        config.workspaces.push(value as Workspace);
        remember(`Workspace/${value.name}`);
        break;
      case 'Pool': {
        const pool = value as Pool;
        applyPoolDefaults(pool);
        config.pools.push(pool);
        remember(`Pool/${pool.name}`);
        for (const [part, items] of [
          ['servers', pool.servers],
          ['autoscale', pool.autoscale],
          ['staging', pool.staging],
        ] as const) {
          (items ?? []).forEach((item, i) => {
            const p = positionOf(source, [part, i]);
            const key = `Pool/${pool.name}/${part}/${item.name}`;
            if (!(key in config.sources)) config.sources[key] = { file: source.file, line: p.line, column: p.column };
          });
        }
        break;
      }
      default: {
        const never: never = value;
        throw new Error(`unhandled kind ${String(never)}`);
      }
    }
  }
  const firstSettings = settingsDocs[0];
  if (firstSettings) config.settings = firstSettings;

  const ctx = createRuleContext(config, sourceMap, declared, diagnostics, settingsDocs);
  for (const rule of RULES) {
    try {
      rule(ctx);
    } catch (err) {
      // A bug in a rule must not hide the other diagnostics behind a stack trace.
      diagnostics.push(dirDiagnostic('internal-error', `rule ${rule.name || 'unnamed'} failed: ${err instanceof Error ? err.message : String(err)}`));
    }
  }

  diagnostics.sort(compareDiagnostics);
  const hasError = diagnostics.some((d) => d.severity === 'error');
  return hasError ? { diagnostics } : { config, diagnostics };
}
