// postgres-url-required: state backend postgres needs state.url.
import type { Rule } from './context.ts';

export const stateBackend: Rule = (ctx) => {
  for (const settings of ctx.settingsDocuments) {
    if (settings.state?.backend === 'postgres' && !settings.state.url) {
      ctx.report('error', 'postgres-url-required', 'state backend postgres needs state.url (e.g. ${env:POOLFORM_DATABASE_URL})', {
        doc: settings,
        path: ['state', 'backend'],
      });
    }
  }
};
