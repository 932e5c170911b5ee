// What the state keeps about how capacity is used over time, per autoscale
// config (key `pool/autoscale`): boot times (for `prewarm: auto`) and idle
// server-/core-time (what a schedule costs).

/** One server's boot: create → first `running` check-in. One per server. */
export interface BootSample {
  pool: string;
  autoscale: string;
  server_id: string;
  /** ISO time the server record was created. */
  created_at: string;
  /** ISO time of its first `running` check-in. */
  running_at: string;
}

/** Idle capacity of one config at one instant (a sample). */
export interface IdleLevel {
  /** Servers/agents that exist at the provider and carry no user session. */
  servers: number;
  /** Docker agents: cores not used by user sessions (staged sessions count as idle). Server pools: 0. */
  cores: number;
}

/** Idle time accrued over a period, per config. */
export interface IdleTotals {
  /** Server-milliseconds of idle servers. */
  server_ms: number;
  /** Core-milliseconds of idle cores (docker agent pools). */
  core_ms: number;
}
