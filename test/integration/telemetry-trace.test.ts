import { queueTelemetry, withSpan } from '@gavel/telemetry';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { describe, expect, it, vi } from 'vitest';
import { tracedProcess } from '../support/traced-process.ts';

const traced = tracedProcess();

describe('trace context across BullMQ queues', () => {
  it('a job added inside a span is processed in a child span of the same trace, two queues deep', async () => {
    expect(traced.handle.enabled).toBe(true);
    const telemetry = queueTelemetry('gavel-test');
    const connection = new Redis(traced.redis.url, { maxRetriesPerRequest: null });
    const prefix = 'teltest';
    const sandboxQ = new Queue('sandbox', { connection, prefix, telemetry });
    const judgeQ = new Queue('judge', { connection, prefix, telemetry });
    let done!: () => void;
    const finished = new Promise<void>((r) => {
      done = r;
    });
    const sandboxW = new Worker(
      'sandbox',
      async (job) => {
        await withSpan('gavel.sandbox.run', { 'gavel.sample_id': job.data.sampleId }, async () => {
          await judgeQ.add('sample', job.data, { jobId: `r~${job.data.sampleId}` });
        });
      },
      { connection, prefix, telemetry },
    );
    const judgeW = new Worker(
      'judge',
      async (job) => {
        await withSpan('gavel.judge.request', { 'gavel.sample_id': job.data.sampleId }, async () => {});
        done();
      },
      { connection, prefix, telemetry },
    );
    const producerTrace = await withSpan('gavel.enqueue', { 'gavel.run_id': 'r' }, async (span) => {
      await sandboxQ.add('sample', { runId: 'r', sampleId: 's1' }, { jobId: 'r~s1' });
      return span.spanContext().traceId;
    });
    await finished;
    await Promise.all([sandboxW.close(), judgeW.close(), sandboxQ.close(), judgeQ.close()]);
    connection.disconnect();
    await vi.waitFor(() => expect(traced.receiver.spans.filter((s) => s.traceId === producerTrace)).toHaveLength(5), {
      timeout: 5_000,
    });

    const inTrace = traced.receiver.spans.filter((s) => s.traceId === producerTrace);
    const byId = new Map(inTrace.map((s) => [s.spanId, s]));
    const ancestry = (name: string): string[] => {
      const chain: string[] = [];
      let s = inTrace.find((x) => x.name === name);
      while (s) {
        chain.push(s.name);
        s = s.parentSpanId ? byId.get(s.parentSpanId) : undefined;
      }
      return chain;
    };
    // the judge request descends, through both queues' spans, from the producer's span
    const chain = ancestry('gavel.judge.request');
    expect(chain[0]).toBe('gavel.judge.request');
    expect(chain.at(-1)).toBe('gavel.enqueue');
    expect(chain).toContain('gavel.sandbox.run');
    expect(chain.some((n) => n.includes('judge') && n !== 'gavel.judge.request')).toBe(true);
    // a job added inside a span hangs off that span: BullMQ's `add` span would only repeat it
    expect(chain).toEqual([
      'gavel.judge.request',
      'process judge',
      'gavel.sandbox.run',
      'process sandbox',
      'gavel.enqueue',
    ]);
    const processSpans = traced.receiver.spans.filter((s) => s.name.startsWith('process '));
    expect(processSpans.map((s) => s.name).sort()).toEqual(['process judge', 'process sandbox']);
    expect(new Set(processSpans.map((s) => s.traceId))).toEqual(new Set([producerTrace]));
    // neither the adds made inside a span nor BullMQ's per-job `complete <queue>` leaf is recorded
    expect(traced.receiver.spans.filter((s) => /^(add|complete) /.test(s.name)).map((s) => s.name)).toEqual([]);
    // the process span keeps BullMQ's job attributes beside gavel's, without the empty `job completed` event
    const judgeProcess = processSpans.find((s) => s.name === 'process judge');
    expect(judgeProcess?.attributes).toMatchObject({ 'bullmq.job.id': 'r~s1', 'bullmq.queue.name': 'judge' });
  });

  it('a job added outside any span gets a trace of its own, rooted in its `add` span', async () => {
    const telemetry = queueTelemetry('gavel-test');
    const connection = new Redis(traced.redis.url, { maxRetriesPerRequest: null });
    const prefix = 'teltest-untraced-producer';
    const queue = new Queue('sandbox', { connection, prefix, telemetry });
    let done!: () => void;
    const finished = new Promise<void>((r) => {
      done = r;
    });
    const worker = new Worker('sandbox', async () => done(), { connection, prefix, telemetry });
    await queue.add('sample', { runId: 'r', sampleId: 's2' }, { jobId: 'r~s2' });
    await finished;
    await Promise.all([worker.close(), queue.close()]);
    connection.disconnect();

    const processedSpan = () =>
      traced.receiver.spans.find((s) => s.name === 'process sandbox' && s.attributes['bullmq.job.id'] === 'r~s2');
    await vi.waitFor(() => expect(processedSpan()).toBeDefined(), { timeout: 5_000 });
    const processed = processedSpan();
    const add = traced.receiver.spans.find((s) => s.name === 'add sandbox.sample');
    expect(add?.parentSpanId).toBeUndefined();
    expect(processed?.traceId).toBe(add?.traceId);
    expect(processed?.parentSpanId).toBe(add?.spanId);
  });
});
