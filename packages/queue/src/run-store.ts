import {
  Completion,
  Facts,
  InputError,
  type RubricRef,
  RunManifest,
  rubricTextKey,
  runKey,
  runKeyPrefix,
  runsListKey,
  Sample,
  type SampleFailure,
  Verdict,
} from '@gavel/core';
import { GenerationRecords } from './generation-records.ts';
import { ImageStore } from './image-store.ts';
import type { RedisClient } from './redis.ts';
import { readSampleRecords, type SampleRecord, withCompletion } from './run-export-page.ts';
import { type RunListPage, readRunsPage } from './run-list-page.ts';
import { type RunProgress, readProgress } from './run-progress.ts';
import { removeRunKeys } from './run-removal.ts';
import { ObserverList, type RunStoreObserver } from './run-store-observer.ts';
import { type StoreRedis, withStoreScripts } from './run-store-scripts.ts';
import { SampleFailures } from './sample-failures.ts';
import { type StoreBatches, storeBatches } from './store-batches.ts';
import { StoreLayout } from './store-layout.ts';

export type { RunStoreObserver } from './run-store-observer.ts';

/**
 * The run store: the manifest, each sample once, and each stage's result per sample, in Redis
 * hashes under `<prefix>:{run:<runId>}:…` (one hash tag per run: every script and MULTI touches one
 * Redis Cluster slot). Written once per stage (HSETNX), so a stage that finds its result already
 * recorded skips the work; it is the source of truth, not the job history.
 */
export class RunStore {
  readonly redis: StoreRedis;
  readonly prefix: string;
  private readonly manifests = new Map<string, RunManifest>();
  private readonly observers = new ObserverList();
  private readonly failures: SampleFailures;
  /** Images, content-addressed (see {@link ImageStore}). */
  readonly images: ImageStore;
  /** Refuses data of the layout before per-run hash tags (see {@link StoreLayout}). */
  readonly layout: StoreLayout;
  /** The generate stage's completions and request intents (see {@link GenerationRecords}). */
  readonly generation: GenerationRecords;
  // The per-sample reads and writes of stages, each turn's calls for one run in one script.
  private readonly batches: StoreBatches;

  constructor(redis: RedisClient, prefix = 'gavel') {
    this.prefix = prefix;
    this.redis = withStoreScripts(redis);
    this.failures = new SampleFailures(this.redis, (runId, part) => this.key(runId, part));
    this.images = new ImageStore(this.redis, prefix);
    this.layout = new StoreLayout(this.redis, prefix);
    this.generation = new GenerationRecords(this.redis, (runId, part) => this.key(runId, part));
    this.batches = storeBatches(this.redis, (runId, part) => this.key(runId, part));
  }

  /** Adds an observer of first writes (metrics); see {@link RunStoreObserver}. */
  observe(observer: RunStoreObserver): void {
    this.observers.add(observer);
  }

  private notify(call: (observer: RunStoreObserver) => void): void {
    this.observers.notify(call);
  }

  /** A key of the run (see {@link runKey}); every key of a run is built here or by `runKey`. */
  key(runId: string, part: string): string {
    return runKey(this.prefix, runId, part);
  }

  get runsKey(): string {
    return runsListKey(this.prefix);
  }

  // ── manifest ────────────────────────────────────────────────────────────────
  /**
   * Lists the run, then writes its manifest once; returns false when the run already existed. The
   * run list and the run's keys are in different cluster slots, so this is two steps, in this
   * order: a crash between them leaves a listed run without a manifest — visible to `gavel runs`
   * (no creation time) and `gavel runs rm`, and finished by enqueuing the run again — never a
   * manifest that no listing finds. An existing run missing from the list is listed.
   */
  async createRun(manifest: RunManifest): Promise<boolean> {
    await this.layout.claim();
    await this.redis.zadd(this.runsKey, 'NX', Date.parse(manifest.created_at), manifest.run_id);
    const created = await this.redis.set(this.key(manifest.run_id, 'manifest'), JSON.stringify(manifest), 'NX');
    return created === 'OK';
  }

  /**
   * The run's manifest, or undefined when there is none. A run stored in the layout before per-run
   * hash tags is refused with how to migrate it (a `ConfigError`), not reported missing.
   */
  async findManifest(runId: string): Promise<RunManifest | undefined> {
    const cached = this.manifests.get(runId);
    if (cached) return cached;
    const raw = await this.redis.get(this.key(runId, 'manifest'));
    if (raw === null) {
      await this.layout.refuseLegacyRun(runId);
      return undefined;
    }
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

  /** Runs created before `beforeMs` (epoch ms), oldest first. */
  async runsCreatedBefore(beforeMs: number): Promise<string[]> {
    return this.redis.zrangebyscore(this.runsKey, '-inf', `(${beforeMs}`);
  }

  /**
   * Releases the run's images (deleting those no other run shows, see {@link ImageStore.releaseRun}),
   * then deletes every run-store key of the run and, last, its entry in the run list (see
   * {@link removeRunKeys}); returns the number of keys and of images deleted.
   */
  async removeRun(runId: string): Promise<{ keys: number; images: number }> {
    // The images first (the run's own list of them is among its keys): one no other run shows goes.
    const images = await this.images.releaseRun(runId);
    const keys = await removeRunKeys(this.redis, runKeyPrefix(this.prefix, runId), this.runsKey, runId);
    this.manifests.delete(runId);
    return { keys, images };
  }

  async listRuns(): Promise<string[]> {
    return this.redis.zrange(this.runsKey, 0, -1);
  }

  /** A page of the run list after a cursor run, oldest first (see {@link readRunsPage}). */
  async runsPage(after: string | undefined, limit: number): Promise<RunListPage | undefined> {
    return readRunsPage(this.redis, this.runsKey, after, limit);
  }

  /** The `n` most recently created runs, oldest first. */
  async recentRuns(n: number): Promise<string[]> {
    return this.redis.zrange(this.runsKey, -n, -1);
  }

  // ── rubric texts (so workers on any host read the exact frozen bytes) ────────
  /** Where a rubric's text lives: keyed by its content hash, so two libraries never collide. */
  rubricTextKey(ref: Pick<RubricRef, 'hash'>): string {
    return rubricTextKey(this.prefix, ref.hash);
  }

  /** Publishes a rubric's exact bytes under its hash (once; the same hash is the same bytes). */
  async putRubricText(ref: Pick<RubricRef, 'hash'>, text: string): Promise<void> {
    await this.redis.set(this.rubricTextKey(ref), text, 'NX');
  }

  async getRubricText(ref: Pick<RubricRef, 'hash'>): Promise<string | undefined> {
    return (await this.redis.get(this.rubricTextKey(ref))) ?? undefined;
  }

  // ── samples ─────────────────────────────────────────────────────────────────
  /**
   * Stores samples once and lists them in dataset order, in one script per call (so no sample is
   * stored outside the order), and returns the ids that still need a sandbox job: new samples,
   * and stored ones that have neither facts, a verdict nor a failure (a producer that crashed
   * between storing and enqueuing).
   */
  async putSamples(runId: string, samples: readonly Sample[]): Promise<string[]> {
    if (samples.length === 0) return [];
    const args = samples.flatMap((sample) => [sample.id, JSON.stringify(sample)]);
    const needed = await this.redis.gavelPutSamples(
      this.key(runId, 'samples'),
      this.key(runId, 'order'),
      this.key(runId, 'facts'),
      this.key(runId, 'verdicts'),
      this.key(runId, 'failures'),
      ...args,
    );
    return samples.filter((_, i) => needed[i] === 1).map((sample) => sample.id);
  }

  async getSample(runId: string, sampleId: string): Promise<Sample> {
    const [raw, completion] = await Promise.all([
      this.redis.hget(this.key(runId, 'samples'), sampleId),
      this.generation.completion(runId, sampleId),
    ]);
    if (raw === null) throw new InputError(`run ${runId}: sample ${sampleId} is not in the run store`);
    return withCompletion(Sample.parse(JSON.parse(raw)), completion);
  }

  async sampleIds(runId: string, start = 0, stop = -1): Promise<string[]> {
    return this.redis.lrange(this.key(runId, 'order'), start, stop);
  }

  // ── per-stage results ───────────────────────────────────────────────────────
  /**
   * Reads what a stage needs about one sample (a read: it writes nothing), in one command with the
   * other samples of the run whose jobs ask in the same turn (see {@link turnBatcher}). Facts,
   * judgements and verdicts come back as stored, not parsed again: the write that stored each one
   * validated it ({@link putFacts}, {@link putJudgement}, {@link putFinalVerdict}). The sample is
   * validated here, as the first stage to read it checks what the producer wrote, unless
   * `sampleValidated`: a stage that runs only on a sample with facts (the judge) reads a sample the
   * sandbox stage validated before it recorded them.
   */
  async loadForStage(
    runId: string,
    sampleId: string,
    options: { sampleValidated?: boolean } = {},
  ): Promise<Pick<SampleRecord, 'sample' | 'facts' | 'judgement' | 'verdict' | 'completion'>> {
    const [sample, facts, judgement, verdict, completion] = await this.batches.load({ runId, sampleId });
    if (!sample) throw new InputError(`run ${runId}: sample ${sampleId} is not in the run store`);
    const parsedCompletion = completion ? Completion.parse(JSON.parse(completion)) : undefined;
    const stored: unknown = JSON.parse(sample);
    return {
      sample: withCompletion(options.sampleValidated ? (stored as Sample) : Sample.parse(stored), parsedCompletion),
      facts: facts ? (JSON.parse(facts) as Facts) : undefined,
      judgement: judgement ? (JSON.parse(judgement) as Verdict) : undefined,
      verdict: verdict ? (JSON.parse(verdict) as Verdict) : undefined,
      ...(parsedCompletion ? { completion: parsedCompletion } : {}),
    };
  }

  async getFacts(runId: string, sampleId: string): Promise<Facts | undefined> {
    const raw = await this.redis.hget(this.key(runId, 'facts'), sampleId);
    return raw === null ? undefined : Facts.parse(JSON.parse(raw));
  }

  /**
   * Records facts once; returns false if facts were already recorded (the first write wins). Written
   * with the facts of the run's other samples recorded in the same turn, each on its own.
   */
  async putFacts(runId: string, sampleId: string, facts: Facts): Promise<boolean> {
    const parsed = Facts.parse(facts);
    const first = (await this.batches.facts({ runId, sampleId, json: JSON.stringify(parsed) })) === 1;
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
   * `judgement`, the judge's verdict is recorded (once) in the same atomic step. The verdicts of the
   * run's samples decided in the same turn go in one script, each sample's step atomic on its own.
   */
  async putFinalVerdict(runId: string, sampleId: string, verdict: Verdict, judgement?: Verdict): Promise<boolean> {
    const json = JSON.stringify(Verdict.parse(verdict));
    const judgementJson =
      judgement === undefined ? '' : judgement === verdict ? '=' : JSON.stringify(Verdict.parse(judgement));
    const arbitrated = verdict.source === 'arbiter' || verdict.arbitration === 'unarbitrated' ? '1' : '0';
    const written = await this.batches.verdict({ runId, sampleId, json, arbitrated, judgement: judgementJson });
    if (written !== 1) return false;
    this.notify((o) => {
      if (judgement !== undefined) o.judgement?.(runId, sampleId, judgement);
      o.finalVerdict?.(runId, sampleId, verdict);
    });
    return true;
  }

  // ── failures (see {@link SampleFailures}) ─────────────────────────────────────
  /** Records why a sample ended without a verdict, unless it has one (kept until a retry succeeds). */
  recordFailure(runId: string, sampleId: string, failure: SampleFailure): Promise<boolean> {
    return this.failures.record(runId, sampleId, failure);
  }

  /** Drops a sample's failure record (`gavel retry`, before it retries the failed job). */
  clearFailure(runId: string, sampleId: string): Promise<void> {
    return this.failures.clear(runId, sampleId);
  }

  /**
   * Drops the failure only when `stage`'s job `jobId` recorded it: that job is running again, so
   * it was retried (Bull Board, `gavel retry`). A run of any other job leaves the failure alone.
   */
  clearFailureOfJob(runId: string, sampleId: string, stage: string, jobId: string): Promise<boolean> {
    return this.failures.clearOfJob(runId, sampleId, stage, jobId);
  }

  getFailures(runId: string): Promise<Map<string, SampleFailure>> {
    return this.failures.all(runId);
  }

  // ── traces ──────────────────────────────────────────────────────────────────
  async putTraceIds(runId: string, traceIds: ReadonlyMap<string, string>): Promise<void> {
    if (traceIds.size === 0) return;
    await this.redis.hset(this.key(runId, 'traces'), Object.fromEntries(traceIds));
  }

  // ── progress and export ─────────────────────────────────────────────────────
  async progress(runId: string): Promise<RunProgress> {
    return readProgress(this.redis, (part) => this.key(runId, part));
  }

  /** Everything recorded for a page of samples, in dataset order (for export). */
  async exportPage(runId: string, ids: readonly string[]): Promise<SampleRecord[]> {
    return readSampleRecords(this.redis, runId, (part) => this.key(runId, part), ids);
  }
}
