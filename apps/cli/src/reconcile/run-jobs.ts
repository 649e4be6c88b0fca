import { ArbiterSampleState, ArbiterStore, arbiterJobId } from '@gavel/arbiter/state';
import { jobIdFor, parseJobId, type RunManifest, STAGES, type Stage } from '@gavel/core';
import { addOrRetryJob, type RunStore, type StageQueue } from '@gavel/queue';
import type { JobType } from 'bullmq';
import { type NextJob, nextJob, type SampleStanding } from './next-job.ts';

/** States in which a job will still run (or is running): a sample with one is not lost. */
export const LIVE_STATES: readonly JobType[] = ['waiting', 'active', 'delayed', 'prioritized', 'waiting-children'];

/** Job id of a sample's job in `stage`; arbiter stages have one job per attempt. */
export function stageJobId(stage: Stage, runId: string, sampleId: string, attempt: number): string {
  const arbiterStage = stage === 'arbiter-submit' || stage === 'arbiter-collect';
  return arbiterStage ? arbiterJobId(runId, sampleId, attempt) : jobIdFor(runId, sampleId);
}

/** Sample id of one of the run's job ids in `stage` (undefined for another run's job). */
function sampleOf(stage: Stage, runId: string, jobId: string): string | undefined {
  const parsed = parseJobId(jobId);
  if (parsed?.runId !== runId) return undefined;
  const arbiterStage = stage === 'arbiter-submit' || stage === 'arbiter-collect';
  return arbiterStage ? parsed.sampleId.replace(/~a\d+$/, '') : parsed.sampleId;
}

/** Ids of the run's jobs in `states`, per stage, paged so a large queue is read in bounded replies. */
export async function runJobIds(
  queues: Readonly<Record<Stage, StageQueue>>,
  runId: string,
  states: readonly JobType[],
): Promise<Map<Stage, string[]>> {
  const out = new Map<Stage, string[]>();
  for (const stage of STAGES) {
    const ids: string[] = [];
    for (let start = 0; ; start += 5000) {
      const page = await queues[stage].getRanges([...states], start, start + 4999, true);
      for (const id of page) if (parseJobId(id)?.runId === runId) ids.push(id);
      if (page.length < 5000) break;
    }
    out.set(stage, [...new Set(ids)]);
  }
  return out;
}

/** A sample with neither verdict nor failure and no live job in any queue. */
export interface LostSample {
  sampleId: string;
  next: NextJob;
}

/**
 * The run's undecided samples that no job will ever move on (a job lost to an `obliterate`, a
 * `clean`, a crash between two writes…), each with the job it needs, read from the run store.
 */
export async function lostSamples(
  store: RunStore,
  queues: Readonly<Record<Stage, StageQueue>>,
  manifest: RunManifest,
  pageSize = 500,
): Promise<{ undecided: number; lost: LostSample[] }> {
  const runId = manifest.run_id;
  const live = new Set<string>();
  for (const [stage, ids] of await runJobIds(queues, runId, LIVE_STATES)) {
    for (const id of ids) {
      const sampleId = sampleOf(stage, runId, id);
      if (sampleId !== undefined) live.add(sampleId);
    }
  }
  let undecided = 0;
  const lost: LostSample[] = [];
  const arbiterStates = new ArbiterStore(store).runKey(runId, 'state');
  for (let start = 0; ; start += pageSize) {
    const ids = await store.sampleIds(runId, start, start + pageSize - 1);
    if (ids.length === 0) break;
    const records = (await store.exportPage(runId, ids)).filter((r) => !r.verdict && !r.failure);
    undecided += records.length;
    const orphans = records.filter((r) => !live.has(r.id));
    if (orphans.length === 0) continue;
    const states = await store.redis.hmget(arbiterStates, ...orphans.map((r) => r.id));
    orphans.forEach((record, i) => {
      const raw = states[i];
      const arbiter: SampleStanding['arbiter'] = raw ? ArbiterSampleState.parse(JSON.parse(raw)) : undefined;
      const generation = record.sample.kind === 'pair' ? undefined : record.sample.generation;
      lost.push({ sampleId: record.id, next: nextJob({ ...record, generation, arbiter }, manifest) });
    });
  }
  return { undecided, lost };
}

/**
 * Gives a lost sample its next job under the deterministic id: a completed job still holding the
 * id is removed first (the add would be ignored), a failed one is retried, none is added.
 */
export async function restoreJob(queue: StageQueue, runId: string, sampleId: string, jobId: string): Promise<void> {
  if ((await queue.getJobState(jobId)) === 'completed') await queue.remove(jobId);
  await addOrRetryJob(queue, { runId, sampleId }, jobId);
}

/** What {@link restoreLostJobs} found and did. */
export interface Restored {
  undecided: number;
  lost: number;
  restored: Partial<Record<Stage, number>>;
  stuck: { sample_id: string; reason: string }[];
}

/** Gives every lost sample of the run its next job (only counts them with `dryRun`). */
export async function restoreLostJobs(
  store: RunStore,
  queues: Readonly<Record<Stage, StageQueue>>,
  manifest: RunManifest,
  dryRun: boolean,
): Promise<Restored> {
  const runId = manifest.run_id;
  const { undecided, lost } = await lostSamples(store, queues, manifest);
  const restored: Partial<Record<Stage, number>> = {};
  const stuck: { sample_id: string; reason: string }[] = [];
  for (const { sampleId, next } of lost) {
    if (next.kind === 'stuck') stuck.push({ sample_id: sampleId, reason: next.reason });
    if (next.kind !== 'job') continue;
    const jobId = stageJobId(next.stage, runId, sampleId, next.attempt);
    if (!dryRun) await restoreJob(queues[next.stage], runId, sampleId, jobId);
    restored[next.stage] = (restored[next.stage] ?? 0) + 1;
  }
  return { undecided, lost: lost.length, restored, stuck };
}
