// User sessions (and staged docker sessions). Times are ISO-8601 UTC strings.
import type { Resources } from './compute.ts';

export type SessionStatus = 'queued' | 'running' | 'ended' | 'failed';

export interface SessionRecord {
  id: string;
  pool: string;
  user: string;
  zone: string | null;
  workspace: string | null;
  server_id: string | null;
  status: SessionStatus;
  /** For docker sessions: what the session uses on its agent. */
  resources: Resources | null;
  /** True for a pre-created (staged) docker session not yet handed to a user. */
  staged: boolean;
  /** Staging config name, for staged sessions. */
  staging: string | null;
  created_at: string;
  updated_at: string;
  last_keepalive_at: string;
  ended_at: string | null;
  /** Why it ended or failed, e.g. `deleted`, `keepalive_timeout`, `queue_timeout`, `server_destroyed`. */
  end_reason: string | null;
  /** Which API key created it. */
  api_key: string | null;
  /**
   * A targeted request (`server_id` on POST /api/v1/sessions): the only server
   * it may be placed on. Absent/null: whichever server of the pool.
   */
  target_server_id?: string | null;
}
