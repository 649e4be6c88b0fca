// What `gavel status` needs (a run's progress per stage), without the report, export, arbiter and
// judge modules of `@gavel/runs`: the command starts without loading them (`@gavel/runs` exports the
// same names).
export type { RunStatus, StageStatus } from './run-status.ts';
export { runStatus } from './run-status.ts';
