import { SAMPLE_JOB_NAME } from '@gavel/queue';
import type { ArbiterDeps } from './arbiter-deps.ts';
import type { SubmitIntent } from './arbiter-records.ts';
import { arbiterJobId } from './stage-jobs.ts';

type Members = Pick<SubmitIntent, 'run_id' | 'sample_ids' | 'attempts'>;
const attemptOf = (intent: Members, i: number): number => intent.attempts[i] ?? 0;

/** The batch members' submit jobs, in `intent.sample_ids` order (absent where a job is gone). */
export function memberJobs(deps: Pick<ArbiterDeps, 'submitQueue'>, intent: Members) {
  return Promise.all(
    intent.sample_ids.map((sampleId, i) =>
      deps.submitQueue.getJob(arbiterJobId(intent.run_id, sampleId, attemptOf(intent, i))),
    ),
  );
}
export type MemberJobs = Awaited<ReturnType<typeof memberJobs>>;

/**
 * After a batch is persisted: one collect job per sample (so polling starts now), each in its own
 * sample's trace (the context its submit job carries), and the batch's other submit jobs, still
 * delayed, woken to complete.
 */
export async function handOver(
  deps: Pick<ArbiterDeps, 'submitQueue' | 'collectQueue'>,
  intent: SubmitIntent,
  members?: MemberJobs,
): Promise<void> {
  const jobs = members ?? (await memberJobs(deps, intent));
  await deps.collectQueue.addBulk(
    intent.sample_ids.map((sampleId, i) => {
      const jobId = arbiterJobId(intent.run_id, sampleId, attemptOf(intent, i));
      const metadata = jobs[i]?.opts.telemetry?.metadata;
      return {
        name: SAMPLE_JOB_NAME,
        data: { runId: intent.run_id, sampleId },
        opts: metadata ? { jobId, telemetry: { metadata } } : { jobId },
      };
    }),
  );
  await Promise.all(
    jobs.map(async (job) => {
      if (job && (await job.isDelayed())) await job.promote().catch(() => undefined);
    }),
  );
}
