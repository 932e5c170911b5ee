// Schedules: when an autoscale config is active (pure; the instant is an argument).
export type { Instant, ScheduledConfig, Transition } from './active.ts';
export { instantMs, isActive, transitions } from './active.ts';
export { resolveWall, timeZone } from './zone-time.ts';
export type { ScheduleEntry, ScheduleReport } from './report.ts';
export { buildScheduleReport, formatScheduleText } from './report.ts';
