import { parseJobId, STAGES, type Stage } from '@gavel/core';
import type { RunProgress, RunStore, StageQueue } from '@gavel/queue';

export interface StageStatus {
  stage: Stage;
  /** Samples that reached this stage. */
  entered: number;
  waiting: number;
  active: number;
  done: number;
  failed: number;
}

export interface RunStatus {
  run_id: string;
  total: number;
  ended: number;
  verdicts: number;
  failed: number;
  passed: number | null;
  stages: StageStatus[];
}

/** Per-run active jobs: active jobs are few (bounded by worker concurrency), so listing them is cheap. */
async function activeForRun(queue: StageQueue, runId: string): Promise<number> {
  const jobs = await queue.getActive(0, 999);
  return jobs.filter((job) => job.id !== undefined && parseJobId(job.id)?.runId === runId).length;
}

/** Where each stage of a run stands, from the run store (idempotent counts) and the live queues. */
export async function runStatus(
  runId: string,
  store: RunStore,
  queues: Record<Stage, StageQueue>,
  progress?: RunProgress,
): Promise<RunStatus> {
  const p = progress ?? (await store.progress(runId));
  const failed = (stage: Stage): number => p.failedByStage[stage] ?? 0;
  const arbiterFailed = failed('arbiter-submit') + failed('arbiter-collect');
  // On a run whose outputs the SUT writes, a sample enters the sandbox once its completion is stored.
  const generating = (await store.getManifest(runId)).stages.generate !== undefined;
  const rows: Record<Stage, Omit<StageStatus, 'stage' | 'waiting' | 'active'>> = {
    generate: generating
      ? { entered: p.total, done: p.generated, failed: failed('generate') }
      : { entered: 0, done: 0, failed: 0 },
    sandbox: { entered: generating ? p.generated : p.total, done: p.facts, failed: failed('sandbox') },
    judge: { entered: p.facts, done: p.judged, failed: failed('judge') },
    'arbiter-submit': { entered: p.routed, done: Math.max(0, p.arbitrated), failed: failed('arbiter-submit') },
    'arbiter-collect': { entered: p.routed, done: p.arbitrated, failed: failed('arbiter-collect') },
  };
  const stages: StageStatus[] = [];
  for (const stage of STAGES) {
    const row = rows[stage];
    const active = await activeForRun(queues[stage], runId);
    const pending = Math.max(0, row.entered - row.done - (stage.startsWith('arbiter') ? arbiterFailed : row.failed));
    stages.push({ stage, ...row, active: Math.min(active, pending), waiting: Math.max(0, pending - active) });
  }
  return {
    run_id: runId,
    total: p.total,
    ended: p.ended,
    verdicts: p.verdicts,
    failed: p.failed,
    passed: null,
    stages,
  };
}
