// What the route modules share: the app's dependencies resolved once by
// createApp (app.ts). Kept apart from app.ts so route modules never import the
// module that imports them.
import type { Config } from '../config/model.ts';
import type { PlacementChooser, StateStore } from '../state/types.ts';
import type { KeySet } from './api-keys.ts';
import type { Metrics } from './metrics.ts';
import type { Clock, Log, ServeStatus } from './types.ts';

/** Whether an autoscale config is active at `nowMs` (enabled and inside its schedules). */
export type ActiveCheck = (config: Config, pool: string, autoscale: string, nowMs: number) => boolean;

/** Shared by the route modules. */
export interface AppContext {
  store: StateStore;
  getConfig: () => Config | undefined;
  /** The config, or 503 not_ready. */
  requireConfig: () => Config;
  clock: Clock;
  log: Log;
  metrics: Metrics;
  env: Readonly<Record<string, string | undefined>>;
  onQueueEvent: (reason: string) => void;
  onCheckin: (serverId: string, status: string) => void;
  isActive: ActiveCheck;
  getStatus: () => ServeStatus | undefined;
  /** The check-in signing key (created in the store on first use). */
  signingKey: () => Promise<string>;
  /** API keys of the current config. */
  apiKeys: (config: Config) => KeySet;
  /** The placement chooser for the current config at `nowMs`. */
  chooser: (config: Config, nowMs: number) => PlacementChooser;
}
