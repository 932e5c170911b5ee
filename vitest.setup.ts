// Runs before every test file of both projects (vitest.config.ts).
import fc from 'fast-check';
import { propertyRunsOverride } from './src/testing/property-runs.ts';

const runs = propertyRunsOverride();
if (runs !== undefined) fc.configureGlobal({ ...fc.readConfigureGlobal(), numRuns: runs });
