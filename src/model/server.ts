// Servers sessions are placed on (fixed servers and autoscaled VMs).
// Times are ISO-8601 UTC strings.
import type { Resources } from './compute.ts';

/**
 * Server lifecycle.
 * provisioning: create in flight; starting: exists, awaiting check-in (or booting);
 * running: usable; failed: check-in said failed or timed out (will be replaced);
 * draining: no new sessions, destroyed when idle; destroying: delete in flight.
 */
export type ServerStatus = 'provisioning' | 'starting' | 'running' | 'failed' | 'draining' | 'destroying';

/** A server sessions can be placed on: a fixed server or an autoscaled VM. */
export interface ServerRecord {
  /** Autoscaled: generated server id. Fixed: `fixed.<pool>.<name>`. */
  id: string;
  pool: string;
  /** Autoscale config name; null for fixed servers. */
  autoscale: string | null;
  /** Resource address this server belongs to. */
  address: string;
  hostname: string;
  /** IP or DNS name clients connect to; null until known. */
  ip: string | null;
  connection_type: string | null;
  connection_port: number | null;
  status: ServerStatus;
  status_message: string;
  /** 0..100 */
  status_progress: number;
  /** Session slots (server pools). */
  max_sessions: number;
  reusable: boolean;
  /** Docker agents: what the agent offers. Null for server pools. */
  capacity: Resources | null;
  enabled: boolean;
  created_at: string;
  updated_at: string;
  checked_in_at: string | null;
}
