// loadConfig: a directory of YAML files → a validated Config with defaults
// filled in, or diagnostics (never an exception) that point at file:line:col.
// Stages: discover files → parse YAML (nodes kept) → ajv per document →
// assemble Config → semantic rules (rules/).
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Config, Diagnostic, LoadResult, SourceLocation } from './model.ts';
import type { DnsProvider, LdapConfig, Pool, PoolformDocument, Settings, VmProvider, Workspace, Zone } from '../generated/config.ts';
import { discoverFiles } from './discover.ts';
import { applyPoolDefaults } from './defaults.ts';
import { parseFile } from './parse.ts';
import type { ConfigBudgets } from './budgets.ts';
import { BUDGET_CEILINGS, budgetsFromSettings, overBudget } from './budgets.ts';
import { inspectDocument } from './inspect.ts';
import type { ParsedDocument } from './parse.ts';
import { validateDocument } from './schema-validator.ts';
import type { SourceDocument } from './source.ts';
import { fromPointer, positionOf, positionOfNode, positionOfOffset } from './source.ts';
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
  /** Byte budget of all files together (overrides Settings and the ceiling; tests). */
  maxTotalBytes?: number;
  /** Budgets that override both Settings.config_limits and the ceilings (tests, benchmarks). */
  budgets?: Partial<ConfigBudgets>;
}

interface ReadFile {
  file: string;
  bytes: number;
  documents: ParsedDocument[];
}

/**
 * Reads and parses every file within the budget ceilings (Settings is not
 * known yet), then applies the effective budgets (Settings.config_limits,
 * defaults) to what was read: an over-budget file or document is a
 * `config-too-large` diagnostic and is left out.
 */
export async function loadConfig(dir: string, options: LoadOptions = {}): Promise<LoadResult> {
  const root = resolve(dir);
  const info = await stat(root).catch(() => undefined);
  if (!info) return { diagnostics: [dirDiagnostic('config-dir-missing', `config directory ${dir} does not exist`)] };
  if (!info.isDirectory()) return { diagnostics: [dirDiagnostic('config-dir-missing', `${dir} is not a directory`)] };

  const diagnostics: Diagnostic[] = [];
  let files: Awaited<ReturnType<typeof discoverFiles>>;
  try {
    files = await discoverFiles(root);
  } catch (err) {
    const reason = err instanceof Error && 'code' in err ? String(err.code) : 'read error';
    return { diagnostics: [dirDiagnostic('config-dir-unreadable', `cannot read ${dir} (${reason})`)] };
  }
  if (files.length === 0) {
    return { diagnostics: [dirDiagnostic('no-config-files', `no *.yaml or *.yml files in ${dir}`)] };
  }

  const overrides: Partial<ConfigBudgets> = { ...options.budgets, ...(options.maxTotalBytes !== undefined ? { maxTotalBytes: options.maxTotalBytes } : {}) };
  const ceilings: ConfigBudgets = { ...BUDGET_CEILINGS, ...overrides };
  const read: ReadFile[] = [];
  let total = 0;
  let nodes = 0;
  for (const file of files) {
    const result = await parseFile(file, {
      maxFileBytes: ceilings.maxFileBytes,
      maxYamlNodes: Math.max(0, ceilings.maxYamlNodes - nodes),
      maxDepth: ceilings.maxDepth,
      maxKeysPerMapping: ceilings.maxKeysPerMapping,
    });
    // Files refused for their own size (nothing read) do not count.
    total += result.bytes;
    if (total > ceilings.maxTotalBytes) {
      diagnostics.push(
        overBudget(
          'maxTotalBytes',
          ceilings.maxTotalBytes,
          'the configuration files are too large together; this file and the ones after it (in path order) are not read',
          { file: file.file, line: 1, column: 1 },
        ),
      );
      break;
    }
    diagnostics.push(...result.diagnostics);
    nodes += result.nodes;
    read.push({ file: file.file, bytes: result.bytes, documents: result.documents });
    if (result.exhausted) break;
  }

  const budgets = { ...budgetsFromSettings(firstSettings(read)), ...overrides };
  const parsed = applyBudgets(read, budgets, diagnostics);
  if (parsed.length === 0 && !diagnostics.some((d) => d.severity === 'error')) {
    // Every file empty (or only comments): most likely a checkout or a generator gone wrong.
    // Loading it as "no objects" would make plan deregister every fixed server.
    diagnostics.push(
      dirDiagnostic('no-config-documents', `the YAML files in ${dir} hold no documents (all empty or comments only); refusing an empty configuration`),
    );
  }
  return assemble(root, parsed, diagnostics, budgets);
}

/** The first document that says `kind: Settings` (its budgets apply to the whole load). */
function firstSettings(read: readonly ReadFile[]): Settings | undefined {
  for (const f of read) {
    for (const d of f.documents) {
      const v = d.value as Record<string, unknown> | null;
      if (v !== null && typeof v === 'object' && v['kind'] === 'Settings') return v as unknown as Settings;
    }
  }
  return undefined;
}

/** Applies the effective budgets to what was read: over-budget files and documents become diagnostics and are left out. */
function applyBudgets(read: readonly ReadFile[], budgets: ConfigBudgets, diagnostics: Diagnostic[]): ParsedDocument[] {
  const out: ParsedDocument[] = [];
  let total = 0;
  let nodes = 0;
  for (const f of read) {
    if (f.bytes > budgets.maxFileBytes) {
      diagnostics.push(overBudget('maxFileBytes', budgets.maxFileBytes, 'this file is too large; it is not read', { file: f.file, line: 1, column: 1 }));
      continue;
    }
    total += f.bytes;
    if (total > budgets.maxTotalBytes) {
      diagnostics.push(
        overBudget(
          'maxTotalBytes',
          budgets.maxTotalBytes,
          'the configuration files are too large together; this file and the ones after it (in path order) are not read',
          { file: f.file, line: 1, column: 1 },
        ),
      );
      return out;
    }
    for (const d of f.documents) {
      const { stats, source } = d;
      const at = (offset: number) => {
        const p = positionOfOffset(source, offset);
        return { file: source.file, line: p.line, column: p.column };
      };
      if (nodes + stats.nodes > budgets.maxYamlNodes) {
        // Walk the document again with what is left, to point at where the budget runs out.
        const report = inspectDocument(source, {
          maxYamlNodes: budgets.maxYamlNodes - nodes,
          maxDepth: Number.MAX_SAFE_INTEGER,
          maxKeysPerMapping: Number.MAX_SAFE_INTEGER,
          maxAliases: Number.MAX_SAFE_INTEGER,
        });
        const where = report.problems[0]?.offset ?? source.doc.range[0];
        diagnostics.push(
          overBudget(
            'maxYamlNodes',
            budgets.maxYamlNodes,
            `the configuration reaches more than ${budgets.maxYamlNodes.toLocaleString('en-US')} YAML nodes here (aliases count as what they expand to); this document and the ones after it are not read`,
            at(where),
          ),
        );
        return out;
      }
      nodes += stats.nodes;
      if (stats.depth > budgets.maxDepth) {
        diagnostics.push(overBudget('maxDepth', budgets.maxDepth, `nesting is too deep (${stats.depth} levels here)`, at(stats.depthOffset)));
        continue;
      }
      if (stats.maxKeys > budgets.maxKeysPerMapping) {
        diagnostics.push(
          overBudget('maxKeysPerMapping', budgets.maxKeysPerMapping, `this mapping has ${stats.maxKeys.toLocaleString('en-US')} keys`, at(stats.maxKeysOffset)),
        );
        continue;
      }
      out.push(d);
    }
  }
  return out;
}

/** Schema-validates parsed documents, builds the Config and runs the rules. Exported for tests and tools that parse themselves. */
export function assemble(root: string, parsed: readonly ParsedDocument[], diagnostics: Diagnostic[], budgets?: ConfigBudgets): LoadResult {
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
          ['agents', pool.agents],
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

  const ctx = createRuleContext(config, sourceMap, declared, diagnostics, settingsDocs, budgets ?? budgetsFromSettings(config.settings));
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
