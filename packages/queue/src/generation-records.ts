import { Completion, GenerationIntent } from '@gavel/core';
import type { RedisClient } from './redis.ts';

/**
 * The generate stage's records of one run: each completion once (`completions`, HSETNX: the first
 * write wins) and, before every request for one, an intent (`gen-intents`) that says a request was
 * sent with that key — so a retry after a crash knows to look for the answer before asking again.
 */
export class GenerationRecords {
  constructor(
    private readonly redis: RedisClient,
    private readonly key: (runId: string, part: string) => string,
  ) {}

  async completion(runId: string, sampleId: string): Promise<Completion | undefined> {
    const raw = await this.redis.hget(this.key(runId, 'completions'), sampleId);
    return raw === null ? undefined : Completion.parse(JSON.parse(raw));
  }

  /** Stores the completion once; returns the stored one (this, or an earlier writer's). */
  async putCompletion(runId: string, sampleId: string, completion: Completion): Promise<Completion> {
    const key = this.key(runId, 'completions');
    const first = await this.redis.hsetnx(key, sampleId, JSON.stringify(Completion.parse(completion)));
    if (first === 1) return completion;
    return (await this.completion(runId, sampleId)) ?? completion;
  }

  async intent(runId: string, sampleId: string): Promise<GenerationIntent | undefined> {
    const raw = await this.redis.hget(this.key(runId, 'gen-intents'), sampleId);
    return raw === null ? undefined : GenerationIntent.parse(JSON.parse(raw));
  }

  /** Records that a request with `key` is about to be sent (the count of requests so far included). */
  async putIntent(runId: string, sampleId: string, intent: GenerationIntent): Promise<void> {
    await this.redis.hset(this.key(runId, 'gen-intents'), sampleId, JSON.stringify(GenerationIntent.parse(intent)));
  }

  /** Every stored completion of a run (export, report, the cost ledger). */
  async all(runId: string): Promise<Map<string, Completion>> {
    const raw = await this.redis.hgetall(this.key(runId, 'completions'));
    return new Map(Object.entries(raw).map(([id, json]) => [id, Completion.parse(JSON.parse(json))]));
  }
}
