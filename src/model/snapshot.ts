// One consistent read of state: what the planner and the decision core take in.
import type { AutoscaleHistory } from './autoscale-history.ts';
import type { IntentRecord, ResourceRecord } from './resource.ts';
import type { ServerRecord } from './server.ts';
import type { SessionRecord } from './session.ts';

export interface StateMeta {
  lineage: string;
  serial: number;
}

/** Everything the planner reads, taken in one consistent read. */
export interface Snapshot extends StateMeta {
  resources: ResourceRecord[];
  servers: ServerRecord[];
  /** Sessions that are queued or running (ended ones are left out). */
  sessions: SessionRecord[];
  intents: IntentRecord[];
  history: Record<string, AutoscaleHistory>;
}
