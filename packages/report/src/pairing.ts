import type { ExportRecord } from './run-records.ts';

/** A sample of one run matched to the same task (and the same index within it) of the other. */
export interface Pair {
  /** The task id, or the sample id for records with no task id. */
  task_id: string;
  /** The sample's index within its task, in order of appearance in the run (0 for one sample per task). */
  index: number;
  base: ExportRecord;
  candidate: ExportRecord;
}

/** A record with a verdict (`status: 'verdict'`); the only records a figure counts. */
export type Graded = ExportRecord & { verdict: NonNullable<ExportRecord['verdict']> };

export interface GradedPair extends Pair {
  base: Graded;
  candidate: Graded;
}

/** A sample present in one run only: listed apart, never counted. */
export interface Unpaired {
  task_id: string;
  index: number;
  sample_id: string;
}

/** A pair where either side has no verdict (a recorded failure, or still pending): counted apart. */
export interface FailedPair {
  task_id: string;
  base_sample_id: string;
  candidate_sample_id: string;
  base_status: ExportRecord['status'];
  candidate_status: ExportRecord['status'];
}

export interface Pairing {
  /** Pairs with a verdict on both sides, in the base run's order. */
  graded: GradedPair[];
  only_in_base: Unpaired[];
  only_in_candidate: Unpaired[];
  failed_in_either: FailedPair[];
}

function isGraded(record: ExportRecord): record is Graded {
  return record.status === 'verdict' && record.verdict !== null;
}

// Each record keyed by its task (or sample id) and its index within that task, in run order.
function keyed(
  records: readonly ExportRecord[],
): Map<string, { task_id: string; index: number; record: ExportRecord }> {
  const seen = new Map<string, number>();
  const out = new Map<string, { task_id: string; index: number; record: ExportRecord }>();
  for (const record of records) {
    // Task ids and sample ids live in separate key spaces, so a sample id never meets a task id.
    const space = record.task_id === null ? 's' : 't';
    const task = record.task_id ?? record.sample_id;
    const index = seen.get(`${space}:${task}`) ?? 0;
    seen.set(`${space}:${task}`, index + 1);
    out.set(JSON.stringify([space, task, index]), { task_id: task, index, record });
  }
  return out;
}

/**
 * Pairs two runs' records by `task_id` and by the sample's index within its task (its order of
 * appearance in the run), so n samples or epochs per task pair up one by one; records without a
 * task id pair by `sample_id`. Samples in one run only go to `only_in_*`; pairs where either side
 * has no verdict go to `failed_in_either`. Neither is ever counted as a regression or a fix.
 */
export function pairRuns(base: readonly ExportRecord[], candidate: readonly ExportRecord[]): Pairing {
  const left = keyed(base);
  const right = keyed(candidate);
  const pairing: Pairing = { graded: [], only_in_base: [], only_in_candidate: [], failed_in_either: [] };
  for (const [key, { task_id, index, record }] of left) {
    const other = right.get(key);
    if (!other) {
      pairing.only_in_base.push({ task_id, index, sample_id: record.sample_id });
      continue;
    }
    if (isGraded(record) && isGraded(other.record)) {
      pairing.graded.push({ task_id, index, base: record, candidate: other.record });
    } else {
      pairing.failed_in_either.push({
        task_id,
        base_sample_id: record.sample_id,
        candidate_sample_id: other.record.sample_id,
        base_status: record.status,
        candidate_status: other.record.status,
      });
    }
  }
  for (const [key, { task_id, index, record }] of right) {
    if (!left.has(key)) pairing.only_in_candidate.push({ task_id, index, sample_id: record.sample_id });
  }
  return pairing;
}
