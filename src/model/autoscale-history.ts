// What the decision core remembers per autoscale config between rounds.
/** Per autoscale config memory the decision core needs (key `pool/autoscale`). */
export interface AutoscaleHistory {
  last_create_at: string | null;
  last_destroy_at: string | null;
  consecutive_failures: number;
  last_failure_at: string | null;
  /**
   * Consecutive apply rounds in which a create of this config was refused by
   * the provider with a retryable error that made nothing (AWS capacity or
   * instance limits, throttling after retries). Feeds the create backoff; a
   * successful create resets it. Optional: absent means 0.
   */
  create_errors?: number;
  /** ISO time of the last such refusal. */
  last_create_error_at?: string | null;
  /** For people: what the provider said, e.g. "InsufficientInstanceCapacity (aws-insufficient-capacity)". Never a secret. */
  last_create_error?: string | null;
}
