import { setTimeout as sleep } from 'node:timers/promises';
import { addStageJob, addStageJobs, RunStore, type StageProcessor, stageQueue, startStageWorker } from '@gavel/queue';
import { activeSpanRecording, createLogger, queueTelemetry, startSampleTrace, withSpan } from '@gavel/telemetry';
import { Redis } from 'ioredis';
import { describe, expect, it, vi } from 'vitest';
import type { ReceivedSpan } from '../support/otlp-receiver.ts';
import { tracedProcess } from '../support/traced-process.ts';

// A stage worker traced with `contextPropagation: 'explicit'` (worker-sandbox and worker-judge): no
// AsyncLocalStorage, so the active context ends at the first await and every traced call is handed
// its job's context. The sample's trace must come out as it does with AsyncLocalStorage.

const traced = tracedProcess('explicit');

describe('explicit trace context in stage workers', () => {
  it('the registered context manager ends a context at the first await', async () => {
    expect(traced.handle.enabled).toBe(true);
    const [before, after] = await withSpan('gavel.enqueue', {}, async () => {
      const first = activeSpanRecording();
      await null;
      return [first, activeSpanRecording()];
    });
    expect(before).toBe(true);
    // With AsyncLocalStorage the span would still be active here.
    expect(after).toBe(false);
  });

  it("a job's spans, log lines and next job continue its sample's trace after awaits, given the job's context", async () => {
    const telemetry = queueTelemetry('gavel-test');
    const connection = new Redis(traced.redis.url, { maxRetriesPerRequest: null });
    const queueContext = { connection, prefix: 'explicit', telemetry };
    const store = new RunStore(connection, 'explicit');
    const sandboxQ = stageQueue('sandbox', queueContext);
    const judgeQ = stageQueue('judge', queueContext);
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger({
      name: 'explicit-test',
      level: 'debug',
      pretty: false,
      destination: {
        write(chunk: string) {
          lines.push(JSON.parse(chunk));
          return true;
        },
      } as unknown as NodeJS.WritableStream,
    });
    const judged = new Set<string>();
    let allJudged!: () => void;
    const finished = new Promise<void>((r) => {
      allJudged = r;
    });
    // s1 hands its context on at every step; s2 adds its judge job without it (the contract's other side).
    const sandbox: StageProcessor = async (payload, { trace: job, log }) => {
      await sleep(5);
      await withSpan('gavel.sandbox.run', { 'gavel.sample_id': payload.sampleId }, () => sleep(5), { parent: job });
      log.info({}, 'ran');
      await addStageJob(judgeQ, payload, payload.sampleId === 's1' ? job : undefined);
    };
    const judge: StageProcessor = async (payload, { trace: job }) => {
      await sleep(5);
      await withSpan('gavel.judge.request', { 'gavel.sample_id': payload.sampleId }, async () => {}, { parent: job });
      judged.add(payload.sampleId);
      if (judged.size === 2) allJudged();
    };
    const workers = [
      startStageWorker({ stage: 'sandbox', queue: queueContext, store, concurrency: 4, processor: sandbox, logger }),
      startStageWorker({ stage: 'judge', queue: queueContext, store, concurrency: 4, processor: judge, logger }),
    ];
    const traces = ['s1', 's2'].map((sampleId) => ({
      sampleId,
      trace: startSampleTrace({ 'gavel.sample_id': sampleId }),
    }));
    await addStageJobs(
      sandboxQ,
      traces.map(({ sampleId }) => ({ runId: 'r', sampleId })),
      traces.map((t) => t.trace.metadata),
    );
    for (const t of traces) t.trace.end();
    await finished;
    await Promise.all([...workers.map((w) => w.close()), sandboxQ.close(), judgeQ.close()]);
    connection.disconnect();

    const traceOf = (sampleId: string) => traces.find((t) => t.sampleId === sampleId)?.trace.traceId as string;
    const spansOf = (traceId: string) => traced.receiver.spans.filter((s) => s.traceId === traceId);
    await vi.waitFor(() => expect(spansOf(traceOf('s1'))).toHaveLength(5), { timeout: 5_000 });
    const s1 = spansOf(traceOf('s1'));
    const byId = new Map(s1.map((s) => [s.spanId, s]));
    const parentName = (s: ReceivedSpan | undefined) => (s?.parentSpanId ? byId.get(s.parentSpanId)?.name : undefined);
    const named = (name: string) => s1.find((s) => s.name === name);
    expect(s1.map((s) => s.name).sort()).toEqual([
      'gavel.enqueue',
      'gavel.judge.request',
      'gavel.sandbox.run',
      'process judge',
      'process sandbox',
    ]);
    expect(parentName(named('process sandbox'))).toBe('gavel.enqueue');
    expect(parentName(named('gavel.sandbox.run'))).toBe('process sandbox');
    expect(parentName(named('process judge'))).toBe('process sandbox');
    expect(parentName(named('gavel.judge.request'))).toBe('process judge');

    // The line the job logged after its awaits names its trace and its process span.
    const ran = lines.filter((l) => l.msg === 'ran');
    expect(ran.map((l) => l.sampleId).sort()).toEqual(['s1', 's2']);
    const s1Line = ran.find((l) => l.sampleId === 's1');
    expect(s1Line?.trace_id).toBe(traceOf('s1'));
    expect(s1Line?.span_id).toBe(named('process sandbox')?.spanId);

    // s2's judge job, added after an await without its context, is not in s2's trace.
    await vi.waitFor(
      () =>
        expect(
          traced.receiver.spans.some((s) => s.name === 'process judge' && s.attributes['bullmq.job.id'] === 'r~s2'),
        ).toBe(true),
      { timeout: 5_000 },
    );
    const s2Judge = traced.receiver.spans.find(
      (s) => s.name === 'process judge' && s.attributes['bullmq.job.id'] === 'r~s2',
    );
    expect(s2Judge?.traceId).not.toBe(traceOf('s2'));
    expect(
      spansOf(traceOf('s2'))
        .map((s) => s.name)
        .sort(),
    ).toEqual(['gavel.enqueue', 'gavel.sandbox.run', 'process sandbox']);
  });
});
