// What a semantic rule sees: the schema-valid configuration (defaults filled
// in), the source document of each object, and a way to report a diagnostic
// at a path inside a document. Rules never throw and never read secret values.
import type { Config, Diagnostic, Settings, Severity } from '../model.ts';
import type { ConfigBudgets } from '../budgets.ts';
import { budgetsFromSettings } from '../budgets.ts';
import type { PathSegment, Position, SourceDocument } from '../source.ts';
import { positionOf, toPointer } from '../source.ts';

export interface ReportAt {
  /** A top-level object of the config (e.g. a Pool) or its source document. */
  doc: object;
  /** Path inside that document. */
  path?: readonly PathSegment[];
  /** Point at the key of the last path segment instead of its value. */
  target?: 'value' | 'key';
  /** Exact position (e.g. inside a block scalar); overrides the path's position. */
  position?: Position;
}

export interface RuleContext {
  readonly config: Config;
  /** Kind → names declared in ANY document with that kind (schema-valid or not), so one bad document does not cascade into unknown-reference errors. */
  readonly declared: ReadonlyMap<string, ReadonlySet<string>>;
  /** Every schema-valid Settings document (config.settings is the first). */
  readonly settingsDocuments: readonly Settings[];
  /** The effective budgets of this load (Settings.config_limits over the defaults). */
  readonly budgets: ConfigBudgets;
  /** The source document of a top-level config object. */
  sourceOf(doc: object): SourceDocument | undefined;
  report(severity: Severity, code: string, message: string, at: ReportAt): void;
}

export type Rule = (ctx: RuleContext) => void;

export function createRuleContext(
  config: Config,
  sources: WeakMap<object, SourceDocument>,
  declared: ReadonlyMap<string, ReadonlySet<string>>,
  out: Diagnostic[],
  settingsDocuments: readonly Settings[] = [],
  budgets: ConfigBudgets = budgetsFromSettings(config.settings),
): RuleContext {
  const sourceOf = (doc: object): SourceDocument | undefined => {
    if ('doc' in doc && 'lines' in doc && 'file' in doc) return doc as SourceDocument;
    return sources.get(doc);
  };
  return {
    config,
    declared,
    settingsDocuments,
    budgets,
    sourceOf,
    report(severity, code, message, at) {
      const source = sourceOf(at.doc);
      const path = at.path ?? [];
      if (!source) {
        out.push({ severity, code, message, file: '', line: 0, column: 0, path: toPointer(path) });
        return;
      }
      const pos = at.position ?? positionOf(source, path, at.target);
      out.push({ severity, code, message, file: source.file, line: pos.line, column: pos.column, path: toPointer(path) });
    },
  };
}
