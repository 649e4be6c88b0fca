// The arbiter's per-sample state in Redis and its stage job ids, without the request building, the
// batch machinery's API clients and their SDKs: `gavel wait` (its check for lost jobs) and
// `gavel reconcile` import `@gavel/arbiter/state` (`@gavel/arbiter` exports the same names).
export { ArbiterSampleState } from './arbiter-records.ts';
export { ArbiterStore } from './arbiter-store.ts';
export { arbiterJobId } from './stage-jobs.ts';
