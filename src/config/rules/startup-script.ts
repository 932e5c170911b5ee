// unknown-template-variable: a startup script may use only the known
// variables (src/template/startup-script.ts); the error points at the
// variable's line and column inside the (block) scalar.
// template-stray-brace (warning): a single `{` or `}` that is not a variable;
// literal braces are written `{{` and `}}`.
// user-data-too-large: for aws providers, the script rendered with worst-case
// values must fit EC2's 16,384-byte user-data limit.
import type { Rule } from './context.ts';
import { isTemplateVariable, renderTemplate, scanTemplate, TEMPLATE_VARIABLES } from '../../template/startup-script.ts';
import { AWS_USER_DATA_LIMIT, WORST_CASE_VALUES } from '../../template/worst-case.ts';
import { closest } from '../schema-validator.ts';
import { positionInScalar } from '../scalar-position.ts';

export const startupScriptVariables: Rule = (ctx) => {
  for (const provider of ctx.config.vmProviders) {
    const source = ctx.sourceOf(provider);
    if (!source) continue;
    const script = provider.startup_script;
    let strays = 0;
    for (const token of scanTemplate(script)) {
      if (token.kind === 'variable' && !isTemplateVariable(token.name)) {
        const needle = `{${token.name}}`;
        const hint = closest(token.name, TEMPLATE_VARIABLES);
        ctx.report(
          'error',
          'unknown-template-variable',
          `unknown startup-script variable ${needle}${hint ? ` (did you mean {${hint}}?)` : ''}; known: ${TEMPLATE_VARIABLES.map((v) => `{${v}}`).join(', ')}. Write literal braces as {{ and }} (e.g. \${{HOME}})`,
          { doc: provider, path: ['startup_script'], position: positionInScalar(source, ['startup_script'], script, token.offset, needle) },
        );
      } else if (token.kind === 'stray-brace' && strays++ < 5) {
        const brace = script[token.offset] ?? '{';
        ctx.report('warning', 'template-stray-brace', `single "${brace}" in startup script is kept literally; write "${brace}${brace}" for a literal brace`, {
          doc: provider,
          path: ['startup_script'],
          position: positionInScalar(source, ['startup_script'], script, token.offset, brace),
        });
      }
    }
  }
};

/** Bytes of a startup script rendered with the longest possible variable values. */
export function worstCaseRenderedBytes(script: string): number {
  return Buffer.byteLength(renderTemplate(script, WORST_CASE_VALUES), 'utf8');
}

export const userDataSize: Rule = (ctx) => {
  for (const provider of ctx.config.vmProviders) {
    if (provider.type !== 'aws') continue;
    const bytes = worstCaseRenderedBytes(provider.startup_script);
    if (bytes > AWS_USER_DATA_LIMIT) {
      ctx.report(
        'error',
        'user-data-too-large',
        `startup script renders to up to ${bytes} bytes with worst-case variable values; EC2 user data is limited to ${AWS_USER_DATA_LIMIT} bytes`,
        { doc: provider, path: ['startup_script'] },
      );
    }
  }
};
