import { SampleFailure } from '@gavel/core';
import type { StoreRedis } from './run-store-scripts.ts';

/**
 * A run's failure records (`failures`: sample → {@link SampleFailure}): why a sample ended without a
 * verdict. Written only while the sample has no verdict; cleared by a retry of the job that wrote it.
 */
export class SampleFailures {
  constructor(
    private readonly redis: StoreRedis,
    private readonly key: (runId: string, part: string) => string,
  ) {}

  /** Records the failure unless the sample already has a final verdict; true when recorded. */
  async record(runId: string, sampleId: string, failure: SampleFailure): Promise<boolean> {
    const json = JSON.stringify(SampleFailure.parse(failure));
    const keys = [this.key(runId, 'verdicts'), this.key(runId, 'failures')] as const;
    return (await this.redis.gavelRecordFailure(keys[0], keys[1], sampleId, json)) === 1;
  }

  async clear(runId: string, sampleId: string): Promise<void> {
    await this.redis.hdel(this.key(runId, 'failures'), sampleId);
  }

  /** Clears it only when `stage`'s job `jobId` recorded it; true when cleared. */
  async clearOfJob(runId: string, sampleId: string, stage: string, jobId: string): Promise<boolean> {
    return (await this.redis.gavelClearFailureOfJob(this.key(runId, 'failures'), sampleId, stage, jobId)) === 1;
  }

  async all(runId: string): Promise<Map<string, SampleFailure>> {
    const raw = await this.redis.hgetall(this.key(runId, 'failures'));
    return new Map(Object.entries(raw).map(([id, json]) => [id, SampleFailure.parse(JSON.parse(json))]));
  }
}
