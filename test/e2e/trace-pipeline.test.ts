// One sample is one trace, across real processes: `gavel enqueue` (the producer) and the four
// stage workers of `gavel workers` export OTLP/HTTP JSON to a receiver in this test. Code samples
// run in the real Docker sandbox, the judge asks a vLLM-shaped server, near-threshold samples go
// to the arbiter on the Batches fake (one of its results expires once, so that sample is sent in a
// second batch). Every span of a sample's trace descends from that sample's `gavel.enqueue` span.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeBatchesServer, startFakeAnthropicBatches } from '../fakes/anthropic-batches-server.ts';
import { type FakeVllm, startFakeVllm } from '../fakes/vllm-server.ts';
import { batchArbiterEnv } from '../integration/arbiter-fixtures.ts';
import { passFailCodeSamples, sandboxImage } from '../integration/sandbox-fixtures.ts';
import { gavel, jsonl, startWorkers, textSample } from '../support/gavel.ts';
import { type ReceivedSpan, startOtlpReceiver } from '../support/otlp-receiver.ts';
import { type RedisServer, startRedis } from '../support/redis.ts';

const API_KEY = 'sk-ant-test-traces';
const RUN = 'trace-run';
const K = 2;

let redis: RedisServer;
let vllm: FakeVllm;
let batches: FakeBatchesServer;
let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;
let dir: string;
let expiredOnce = false;

beforeAll(async () => {
  redis = await startRedis();
  vllm = await startFakeVllm({ model: 'judge-model', latencyMs: 10 });
  batches = await startFakeAnthropicBatches({
    apiKey: API_KEY,
    processingMs: 300,
    // the first arbiter request processed expires: its sample is re-submitted in a later batch
    outcome: () => {
      if (expiredOnce) return 'succeeded';
      expiredOnce = true;
      return 'expired';
    },
  });
  receiver = await startOtlpReceiver();
  dir = await mkdtemp(join(tmpdir(), 'gavel-trace-'));
});
afterAll(async () => {
  await receiver?.close();
  await batches?.stop();
  await vllm?.stop();
  await redis?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** The chain of span names from `span` up to its trace's root (missing parents end the chain). */
function ancestry(span: ReceivedSpan, byId: Map<string, ReceivedSpan>): ReceivedSpan[] {
  const chain = [span];
  let at = span;
  while (at.parentSpanId) {
    const parent = byId.get(at.parentSpanId);
    if (!parent) break;
    chain.push(parent);
    at = parent;
  }
  return chain;
}

describe('OTLP traces across the queues: one sample, one trace, every stage', () => {
  it('records the producer, every stage and its child spans in the sample trace, with run, sample, rubric, model and token attributes', async () => {
    const env = {
      GAVEL_REDIS_URL: redis.url,
      // debug: each job writes a 'job done' line, inside its span
      GAVEL_LOG_LEVEL: 'debug',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '200',
      GAVEL_SANDBOX: 'docker',
      GAVEL_SANDBOX_IMAGE: sandboxImage(),
      GAVEL_JUDGE: 'vllm',
      GAVEL_JUDGE_URL: vllm.url,
      GAVEL_JUDGE_MODEL: 'judge-model',
      GAVEL_JUDGE_FAMILY: 'judgefam',
      GAVEL_JUDGE_K: String(K),
      ...batchArbiterEnv(batches.url, API_KEY),
    };
    // text right and wrong (the judge decides), two "Paris city" (near the threshold: the arbiter
    // decides), two HumanEval completions (one passes, one fails in the sandbox)
    const code = passFailCodeSamples(2);
    const text = [textSample(0), textSample(1), ...[100, 101].map((i) => textSample(i, { output: 'Paris city' }))];
    const file = join(dir, 'run.jsonl');
    await writeFile(file, jsonl([...text, ...code]));
    const enq = await gavel(['enqueue', file, '--run', RUN], env);
    expect(enq.code, enq.stderr).toBe(0);

    const workers = startWorkers(env);
    try {
      const waited = await gavel(['wait', RUN, '--timeout', '180'], env, 200_000);
      expect(waited.code, waited.stderr + workers.output().slice(-4000)).toBe(0);
    } finally {
      // a graceful stop flushes every worker's unexported spans
      await workers.stop();
    }
    const exported = await gavel(['export', RUN], env);
    const records = exported.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(records).toHaveLength(text.length + code.length);
    expect(records.every((r) => r.status === 'verdict')).toBe(true);
    const arbitrated = records.filter((r) => r.verdict.source === 'arbiter').map((r) => r.sample_id);
    expect(arbitrated.sort()).toEqual(['s-100', 's-101']);
    expect(expiredOnce).toBe(true);
    expect(batches.counts.creates).toBe(2);

    // Each sample has its own trace id, recorded by the producer and printed by `gavel export`.
    const traceOf = new Map<string, string>(records.map((r) => [r.sample_id, r.trace_id]));
    for (const id of traceOf.values()) expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(new Set(traceOf.values()).size).toBe(records.length);

    // Logs: every line a job wrote carries its run and sample ids and the span it was written in,
    // which belongs to that sample's trace; every stage a sample went through wrote one.
    const lines = workers
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const jobLines = lines.filter((l) => typeof l.sampleId === 'string');
    const done = jobLines.filter((l) => l.msg === 'job done');
    expect(done.length).toBeGreaterThanOrEqual(2 * records.length + 2 * 2);
    const spanIds = new Set(receiver.spans.map((s) => s.spanId));
    for (const l of jobLines) {
      expect(l.runId, JSON.stringify(l)).toBe(RUN);
      expect(l.trace_id, JSON.stringify(l)).toBe(traceOf.get(l.sampleId as string));
      expect(spanIds.has(l.span_id as string), JSON.stringify(l)).toBe(true);
    }
    for (const r of records) {
      const stagesLogged = new Set(done.filter((l) => l.sampleId === r.sample_id).map((l) => l.stage));
      expect([...stagesLogged].sort()).toEqual(
        r.verdict.source === 'arbiter'
          ? ['arbiter-collect', 'arbiter-submit', 'judge', 'sandbox']
          : ['judge', 'sandbox'],
      );
    }
    // the batch lines, written inside the job that sent or read a batch, are in that job's trace
    expect(jobLines.filter((l) => l.msg === 'batch submitted')).toHaveLength(2);
    expect(jobLines.filter((l) => l.msg === 'batch collected')).toHaveLength(2);

    const byId = new Map(receiver.spans.map((s) => [s.spanId, s]));
    for (const record of records) {
      const sampleId: string = record.sample_id;
      const traceId = traceOf.get(sampleId) as string;
      const spans = receiver.spans.filter((s) => s.traceId === traceId);
      const names = (name: string) => spans.filter((s) => s.name === name);
      const why = `${sampleId}: ${JSON.stringify(spans.map((s) => [s.service, s.name]))}`;
      console.log(
        `trace ${traceId} of ${sampleId}: ${spans.length} spans from ${new Set(spans.map((s) => s.service)).size} processes: ${[...new Set(spans.map((s) => s.name))].join(', ')}`,
      );

      // the root: the producer's span, with the run, the sample and its pinned rubric
      const roots = spans.filter((s) => !s.parentSpanId);
      expect(
        roots.map((s) => [s.service, s.name]),
        why,
      ).toEqual([['gavel-producer', 'gavel.enqueue']]);
      const root = roots[0] as ReceivedSpan;
      expect(root.attributes['gavel.run_id']).toBe(RUN);
      expect(root.attributes['gavel.sample_id']).toBe(sampleId);
      expect(root.attributes['gavel.rubric_hash']).toBe(record.rubric.hash);
      expect(root.attributes['gavel.rubric']).toBe(`${record.rubric.id}@${record.rubric.version}`);
      // every span of the trace hangs from that root, and none is about another sample
      for (const s of spans) {
        expect(ancestry(s, byId).at(-1)?.spanId, `${s.name} is detached (${why})`).toBe(root.spanId);
        const about = s.attributes['gavel.sample_id'];
        if (about !== undefined) expect(about, `${s.name} in ${sampleId}'s trace`).toBe(sampleId);
      }

      // each stage the sample went through processed it in this trace, in its own process (a
      // sample the judge decides goes no further)
      const stages = [
        'sandbox',
        'judge',
        ...(arbitrated.includes(sampleId) ? ['arbiter-submit', 'arbiter-collect'] : []),
      ];
      for (const stage of stages) {
        const processed = names(`process ${stage}`);
        expect(processed.length, `${stage} ${why}`).toBeGreaterThan(0);
        expect(processed[0]?.service).toBe(`gavel-worker-${stage}`);
        expect(processed[0]?.attributes).toMatchObject({
          'gavel.run_id': RUN,
          'gavel.sample_id': sampleId,
          'gavel.stage': stage,
        });
      }

      // the container run of a code sample, with what it found
      const runs = names('gavel.sandbox.run');
      if (record.kind === 'code') {
        expect(runs, why).toHaveLength(1);
        expect(runs[0]?.service).toBe('gavel-worker-sandbox');
        expect(runs[0]?.attributes['gavel.sandbox.outcome']).toBe(record.facts.tests.failed > 0 ? 'failed' : 'passed');
        expect(runs[0]?.attributes['gavel.tests.total']).toBe(record.facts.tests.total);
        expect(runs[0]?.attributes['gavel.sandbox.image']).toBe(sandboxImage());
      } else {
        expect(runs).toHaveLength(0);
      }

      // each judge request: 1 + k answers, each with the model, the rubric hash and its tokens
      const requests = names('gavel.judge.request');
      expect(requests, why).toHaveLength(1 + K);
      const usage = record.judge_verdict.usage;
      for (const r of requests) {
        expect(r.service).toBe('gavel-worker-judge');
        expect(r.attributes['gen_ai.request.model']).toBe('judge-model');
        expect(r.attributes['gavel.rubric_hash']).toBe(root.attributes['gavel.rubric_hash']);
        expect(r.attributes['gen_ai.usage.input_tokens']).toBeGreaterThan(0);
        expect(r.attributes['gen_ai.usage.output_tokens']).toBeGreaterThan(0);
      }
      const sum = (key: string) => requests.reduce((n, r) => n + Number(r.attributes[key]), 0);
      expect(sum('gen_ai.usage.input_tokens')).toBe(usage.input);
      expect(sum('gen_ai.usage.output_tokens')).toBe(usage.output);

      // an arbitrated sample: its result recorded in its own trace, linked to the batch read;
      // the batch create is in the trace of one member and links to every member's trace
      const collected = names('gavel.arbiter.collect');
      if (arbitrated.includes(sampleId)) {
        expect(collected.length, why).toBeGreaterThan(0);
        const final = collected.find((c) => c.attributes['gavel.arbiter.result_type'] === 'succeeded');
        expect(final?.attributes).toMatchObject({
          'gavel.arbiter.batch_id': record.verdict.arbiter.batch_id,
          'gavel.arbiter.custom_id': record.verdict.arbiter.custom_id,
          'gen_ai.request.model': 'claude-sonnet-4-6',
        });
        expect(final?.attributes['gen_ai.usage.input_tokens']).toBeGreaterThan(0);
        for (const c of collected) {
          expect(c.service).toBe('gavel-worker-arbiter-collect');
          const results = receiver.spans.find((s) => s.spanId === c.links[0]?.spanId);
          expect(results?.name).toBe('gavel.arbiter.results');
          expect(results?.attributes['gavel.arbiter.batch_id']).toBe(c.attributes['gavel.arbiter.batch_id']);
        }
        const submits = receiver.spans.filter(
          (s) => s.name === 'gavel.arbiter.submit' && s.links.some((l) => l.traceId === traceId),
        );
        // sent twice (one result expired): in two batches, both linking here
        expect(submits.length).toBe(collected.length);
        for (const s of submits) {
          expect(s.service).toBe('gavel-worker-arbiter-submit');
          expect(s.attributes['gavel.arbiter.batch_id']).toMatch(/^msgbatch_/);
          expect(Number(s.attributes['gavel.arbiter.request_count'])).toBe(s.links.length);
        }
      } else {
        expect(collected).toHaveLength(0);
      }
    }
  });
});
