import { Facts, InputError, RunManifest, Sample, SampleFailure, Verdict } from '@gavel/core';
import type { Redis } from 'ioredis';

/** How far a run has come; every number is an idempotent count (hash/set sizes, never bare counters). */
export interface RunProgress {
  total: number;
  facts: number;
  judged: number;
  routed: number;
  arbitrated: number;
  verdicts: number;
  failed: number;
  failedByStage: Record<string, number>;
  /** Samples with a final verdict or a terminal failure. */
  ended: number;
}

// HSETNX the verdict (and, in the same step, the judgement it came from when given); on first
// write drop any failure record and count arbiter-decided verdicts.
const PUT_FINAL_VERDICT = `
if ARGV[4] ~= '' then redis.call('HSETNX', KEYS[4], ARGV[1], ARGV[4]) end
local written = redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2])
if written == 1 then
  redis.call('HDEL', KEYS[2], ARGV[1])
  if ARGV[3] == '1' then redis.call('SADD', KEYS[3], ARGV[1]) end
end
return written`;

// Record a terminal failure unless the sample already has a final verdict.
const RECORD_FAILURE = `
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return 0 end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
return 1`;

/**
 * Told of each first write (never of a repeat), so counters built on it count every sample once
 * however often a stage runs. An observer that throws is ignored: the store's write stands.
 */
export interface RunStoreObserver {
  facts?(runId: string, sampleId: string, facts: Facts): void;
  judgement?(runId: string, sampleId: string, judgement: Verdict): void;
  finalVerdict?(runId: string, sampleId: string, verdict: Verdict): void;
}

type StoreRedis = Redis & {
  gavelPutFinalVerdict(
    verdicts: string,
    failures: string,
    arbitrated: string,
    judgements: string,
    id: string,
    json: string,
    arb: string,
    judgement: string,
  ): Promise<number>;
  gavelRecordFailure(verdicts: string, failures: string, id: string, json: string): Promise<number>;
};

/**
 * The run store: the manifest, each sample once, and each stage's result per sample, in Redis
 * hashes under `<prefix>:run:<runId>:…`. Written once per stage (HSETNX), so a stage that finds
 * its result already recorded skips the work; it is the source of truth, not the job history.
 */
export class RunStore {
  readonly redis: StoreRedis;
  readonly prefix: string;
  private readonly manifests = new Map<string, RunManifest>();
  private readonly observers: RunStoreObserver[] = [];

  constructor(redis: Redis, prefix = 'gavel') {
    this.prefix = prefix;
    const r = redis as StoreRedis;
    if (typeof r.gavelPutFinalVerdict !== 'function') {
      redis.defineCommand('gavelPutFinalVerdict', { numberOfKeys: 4, lua: PUT_FINAL_VERDICT });
      redis.defineCommand('gavelRecordFailure', { numberOfKeys: 2, lua: RECORD_FAILURE });
    }
    this.redis = r;
  }

  /** Adds an observer of first writes (metrics); see {@link RunStoreObserver}. */
  observe(observer: RunStoreObserver): void {
    this.observers.push(observer);
  }

  private notify(call: (observer: RunStoreObserver) => void): void {
    for (const observer of this.observers) {
      try {
        call(observer);
      } catch {
        // an observer's failure never undoes or fails a recorded result
      }
    }
  }

  key(runId: string, part: string): string {
    return `${this.prefix}:run:${runId}:${part}`;
  }

  get runsKey(): string {
    return `${this.prefix}:runs`;
  }

  // ── manifest ────────────────────────────────────────────────────────────────
  /** Writes the manifest once; returns false when the run already exists. */
  async createRun(manifest: RunManifest): Promise<boolean> {
    const ok = await this.redis.set(this.key(manifest.run_id, 'manifest'), JSON.stringify(manifest), 'NX');
    if (ok !== 'OK') return false;
    await this.redis.zadd(this.runsKey, Date.parse(manifest.created_at), manifest.run_id);
    return true;
  }

  async findManifest(runId: string): Promise<RunManifest | undefined> {
    const cached = this.manifests.get(runId);
    if (cached) return cached;
    const raw = await this.redis.get(this.key(runId, 'manifest'));
    if (raw === null) return undefined;
    const manifest = RunManifest.parse(JSON.parse(raw));
    this.manifests.set(runId, manifest);
    return manifest;
  }

  /** The manifest (cached: it never changes after the run is created). */
  async getManifest(runId: string): Promise<RunManifest> {
    const manifest = await this.findManifest(runId);
    if (!manifest) throw new InputError(`run ${runId} does not exist (no manifest in the run store)`);
    return manifest;
  }

  async listRuns(): Promise<string[]> {
    return this.redis.zrange(this.runsKey, 0, -1);
  }

  /** The `n` most recently created runs, oldest first. */
  async recentRuns(n: number): Promise<string[]> {
    return this.redis.zrange(this.runsKey, -n, -1);
  }

  // ── rubric texts (so workers on any host read the exact frozen bytes) ────────
  async putRubricText(ref: string, text: string): Promise<void> {
    await this.redis.set(`${this.prefix}:rubric:${ref}`, text, 'NX');
  }

  async getRubricText(ref: string): Promise<string | undefined> {
    return (await this.redis.get(`${this.prefix}:rubric:${ref}`)) ?? undefined;
  }

  // ── samples ─────────────────────────────────────────────────────────────────
  /**
   * Stores samples once (HSETNX) and returns the ids that still need a sandbox job: new samples,
   * and stored ones that have neither facts, a verdict nor a failure (a producer that crashed
   * between storing and enqueuing).
   */
  async putSamples(runId: string, samples: readonly Sample[]): Promise<string[]> {
    const pipeline = this.redis.pipeline();
    const samplesKey = this.key(runId, 'samples');
    const orderKey = this.key(runId, 'order');
    for (const sample of samples) {
      pipeline.hsetnx(samplesKey, sample.id, JSON.stringify(sample));
      pipeline.hexists(this.key(runId, 'facts'), sample.id);
      pipeline.hexists(this.key(runId, 'verdicts'), sample.id);
      pipeline.hexists(this.key(runId, 'failures'), sample.id);
    }
    const results = (await pipeline.exec()) ?? [];
    const newIds: string[] = [];
    const pending: string[] = [];
    samples.forEach((sample, i) => {
      const [created, hasFacts, hasVerdict, hasFailure] = [0, 1, 2, 3].map((o) => {
        const entry = results[i * 4 + o];
        if (!entry || entry[0]) throw entry?.[0] ?? new Error('redis pipeline returned no result');
        return entry[1] === 1;
      });
      if (created) newIds.push(sample.id);
      if (created || (!hasFacts && !hasVerdict && !hasFailure)) pending.push(sample.id);
    });
    if (newIds.length > 0) await this.redis.rpush(orderKey, ...newIds);
    return pending;
  }

  async getSample(runId: string, sampleId: string): Promise<Sample> {
    const raw = await this.redis.hget(this.key(runId, 'samples'), sampleId);
    if (raw === null) throw new InputError(`run ${runId}: sample ${sampleId} is not in the run store`);
    return Sample.parse(JSON.parse(raw));
  }

  async sampleIds(runId: string, start = 0, stop = -1): Promise<string[]> {
    return this.redis.lrange(this.key(runId, 'order'), start, stop);
  }

  // ── per-stage results ───────────────────────────────────────────────────────
  /**
   * Reads what a stage needs about one sample in one round trip, and clears a failure record
   * (a sample being processed again, e.g. retried from the UI, is no longer failed).
   */
  async loadForStage(
    runId: string,
    sampleId: string,
  ): Promise<{ sample: Sample; facts?: Facts; judgement?: Verdict; verdict?: Verdict }> {
    const results =
      (await this.redis
        .pipeline()
        .hget(this.key(runId, 'samples'), sampleId)
        .hget(this.key(runId, 'facts'), sampleId)
        .hget(this.key(runId, 'judgements'), sampleId)
        .hget(this.key(runId, 'verdicts'), sampleId)
        .hdel(this.key(runId, 'failures'), sampleId)
        .exec()) ?? [];
    for (const [error] of results) if (error) throw error;
    const [sampleRaw, factsRaw, judgementRaw, verdictRaw] = results.map(([, value]) => value as string | null);
    if (sampleRaw === null || sampleRaw === undefined) {
      throw new InputError(`run ${runId}: sample ${sampleId} is not in the run store`);
    }
    return {
      sample: Sample.parse(JSON.parse(sampleRaw)),
      facts: factsRaw ? Facts.parse(JSON.parse(factsRaw)) : undefined,
      judgement: judgementRaw ? Verdict.parse(JSON.parse(judgementRaw)) : undefined,
      verdict: verdictRaw ? Verdict.parse(JSON.parse(verdictRaw)) : undefined,
    };
  }

  async getFacts(runId: string, sampleId: string): Promise<Facts | undefined> {
    const raw = await this.redis.hget(this.key(runId, 'facts'), sampleId);
    return raw === null ? undefined : Facts.parse(JSON.parse(raw));
  }

  /** Records facts once; returns false if facts were already recorded (the first write wins). */
  async putFacts(runId: string, sampleId: string, facts: Facts): Promise<boolean> {
    const parsed = Facts.parse(facts);
    const first = (await this.redis.hsetnx(this.key(runId, 'facts'), sampleId, JSON.stringify(parsed))) === 1;
    if (first) this.notify((o) => o.facts?.(runId, sampleId, parsed));
    return first;
  }

  async getJudgement(runId: string, sampleId: string): Promise<Verdict | undefined> {
    const raw = await this.redis.hget(this.key(runId, 'judgements'), sampleId);
    return raw === null ? undefined : Verdict.parse(JSON.parse(raw));
  }

  /** Records the judge's verdict once; a routed one is also counted in the `routed` set. */
  async putJudgement(runId: string, sampleId: string, verdict: Verdict): Promise<boolean> {
    const json = JSON.stringify(Verdict.parse(verdict));
    const pipeline = this.redis.multi().hsetnx(this.key(runId, 'judgements'), sampleId, json);
    if (verdict.route === 'arbiter') pipeline.sadd(this.key(runId, 'routed'), sampleId);
    const results = await pipeline.exec();
    const first = results?.[0]?.[1] === 1;
    if (first) this.notify((o) => o.judgement?.(runId, sampleId, verdict));
    return first;
  }

  async getFinalVerdict(runId: string, sampleId: string): Promise<Verdict | undefined> {
    const raw = await this.redis.hget(this.key(runId, 'verdicts'), sampleId);
    return raw === null ? undefined : Verdict.parse(JSON.parse(raw));
  }

  /**
   * Records the final verdict exactly once (HSETNX); true only for the first writer. With
   * `judgement`, the judge's verdict is recorded (once) in the same atomic step.
   */
  async putFinalVerdict(runId: string, sampleId: string, verdict: Verdict, judgement?: Verdict): Promise<boolean> {
    const json = JSON.stringify(Verdict.parse(verdict));
    const judgementJson =
      judgement === undefined ? '' : judgement === verdict ? json : JSON.stringify(Verdict.parse(judgement));
    const arbitrated = verdict.source === 'arbiter' || verdict.arbitration === 'unarbitrated' ? '1' : '0';
    const written = await this.redis.gavelPutFinalVerdict(
      this.key(runId, 'verdicts'),
      this.key(runId, 'failures'),
      this.key(runId, 'arbitrated'),
      this.key(runId, 'judgements'),
      sampleId,
      json,
      arbitrated,
      judgementJson,
    );
    if (written !== 1) return false;
    this.notify((o) => {
      if (judgement !== undefined) o.judgement?.(runId, sampleId, judgement);
      o.finalVerdict?.(runId, sampleId, verdict);
    });
    return true;
  }

  // ── failures ────────────────────────────────────────────────────────────────
  /** Records why a sample ended without a verdict (kept until a retry succeeds). */
  async recordFailure(runId: string, sampleId: string, failure: SampleFailure): Promise<boolean> {
    const json = JSON.stringify(SampleFailure.parse(failure));
    return (
      (await this.redis.gavelRecordFailure(
        this.key(runId, 'verdicts'),
        this.key(runId, 'failures'),
        sampleId,
        json,
      )) === 1
    );
  }

  /** A retried sample is no longer failed while it runs again. */
  async clearFailure(runId: string, sampleId: string): Promise<void> {
    await this.redis.hdel(this.key(runId, 'failures'), sampleId);
  }

  async getFailures(runId: string): Promise<Map<string, SampleFailure>> {
    const raw = await this.redis.hgetall(this.key(runId, 'failures'));
    return new Map(Object.entries(raw).map(([id, json]) => [id, SampleFailure.parse(JSON.parse(json))]));
  }

  // ── traces ──────────────────────────────────────────────────────────────────
  async putTraceIds(runId: string, traceIds: ReadonlyMap<string, string>): Promise<void> {
    if (traceIds.size === 0) return;
    await this.redis.hset(this.key(runId, 'traces'), Object.fromEntries(traceIds));
  }

  // ── progress and export ─────────────────────────────────────────────────────
  async progress(runId: string): Promise<RunProgress> {
    const results =
      (await this.redis
        .pipeline()
        .hlen(this.key(runId, 'samples'))
        .hlen(this.key(runId, 'facts'))
        .hlen(this.key(runId, 'judgements'))
        .scard(this.key(runId, 'routed'))
        .scard(this.key(runId, 'arbitrated'))
        .hlen(this.key(runId, 'verdicts'))
        .hvals(this.key(runId, 'failures'))
        .exec()) ?? [];
    const n = (i: number): number => Number(results[i]?.[1] ?? 0);
    const failures = (results[6]?.[1] as string[] | undefined) ?? [];
    const failedByStage: Record<string, number> = {};
    for (const json of failures) {
      const { stage } = SampleFailure.parse(JSON.parse(json));
      failedByStage[stage] = (failedByStage[stage] ?? 0) + 1;
    }
    return {
      total: n(0),
      facts: n(1),
      judged: n(2),
      routed: n(3),
      arbitrated: n(4),
      verdicts: n(5),
      failed: failures.length,
      failedByStage,
      ended: n(5) + failures.length,
    };
  }

  /** Everything recorded for a page of samples, in dataset order (for export). */
  async exportPage(
    runId: string,
    ids: readonly string[],
  ): Promise<
    {
      id: string;
      sample: Sample;
      facts?: Facts;
      judgement?: Verdict;
      verdict?: Verdict;
      failure?: SampleFailure;
      traceId?: string;
    }[]
  > {
    if (ids.length === 0) return [];
    const parts = ['samples', 'facts', 'judgements', 'verdicts', 'failures', 'traces'] as const;
    const pipeline = this.redis.pipeline();
    for (const part of parts) pipeline.hmget(this.key(runId, part), ...ids);
    const results = (await pipeline.exec()) ?? [];
    const column = (i: number): (string | null)[] => (results[i]?.[1] as (string | null)[] | undefined) ?? [];
    const [samples, facts, judgements, verdicts, failures, traces] = parts.map((_, i) => column(i));
    return ids.map((id, i) => {
      const parse = <T>(raw: string | null | undefined, schema: { parse(x: unknown): T }): T | undefined =>
        raw ? schema.parse(JSON.parse(raw)) : undefined;
      const sample = parse(samples?.[i], Sample);
      if (!sample) throw new Error(`run ${runId}: sample ${id} is listed but not stored`);
      return {
        id,
        sample,
        facts: parse(facts?.[i], Facts),
        judgement: parse(judgements?.[i], Verdict),
        verdict: parse(verdicts?.[i], Verdict),
        failure: parse(failures?.[i], SampleFailure),
        traceId: traces?.[i] ?? undefined,
      };
    });
  }
}
