import { queueTelemetry, startTelemetry, withSpan } from '@gavel/telemetry';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOtlpReceiver } from '../support/otlp-receiver.ts';
import { type RedisServer, startRedis } from '../support/redis.ts';

let redis: RedisServer;
let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;

beforeAll(async () => {
  redis = await startRedis();
  receiver = await startOtlpReceiver();
});
afterAll(async () => {
  await receiver?.close();
  await redis?.stop();
});

describe('trace context across BullMQ queues (bullmq-otel)', () => {
  it('a job added inside a span is processed in a child span of the same trace, two queues deep', async () => {
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' };
    Object.assign(process.env, env);
    const handle = startTelemetry({ serviceName: 'gavel-test' });
    expect(handle.enabled).toBe(true);
    const telemetry = queueTelemetry('gavel-test');
    const connection = new Redis(redis.url, { maxRetriesPerRequest: null });
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
    await handle.shutdown();
    connection.disconnect();

    const inTrace = receiver.spans.filter((s) => s.traceId === producerTrace);
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
    expect(chain).toEqual([
      'gavel.judge.request',
      'process judge',
      'add judge.sample',
      'gavel.sandbox.run',
      'process sandbox',
      'add sandbox.sample',
      'gavel.enqueue',
    ]);
    // every job span (adds and processing) of this sample belongs to the one trace
    const jobSpans = receiver.spans.filter((s) => /^(add|process) /.test(s.name));
    expect(jobSpans.length).toBe(4);
    // BullMQ's per-job `complete <queue>` span (a leaf repeating the process span's end) is not recorded
    expect(receiver.spans.filter((s) => s.name.startsWith('complete ')).map((s) => s.name)).toEqual([]);
    expect(new Set(jobSpans.map((s) => s.traceId))).toEqual(new Set([producerTrace]));
  });
});
