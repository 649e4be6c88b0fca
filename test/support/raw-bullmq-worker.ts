/**
 * One no-op BullMQ worker process of the raw baseline in `test/bench/pipeline-10k.ts` (one process per queue,
 * as `gavel workers` runs one process per stage): each job is added to the next queue under the
 * same id with the next queue's options; the last queue's worker prints `done` after `RAW_EXPECT`
 * jobs. Prints `ready` once it takes jobs.
 *
 *   RAW_REDIS_URL=… RAW_PREFIX=… RAW_QUEUE=q1 [RAW_NEXT=q2] RAW_CONCURRENCY=50 RAW_EXPECT=10000
 */
import { jobOptionsFor } from '@gavel/queue';
import { type Job, Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const url = env('RAW_REDIS_URL');
const prefix = env('RAW_PREFIX');
const name = env('RAW_QUEUE');
const nextName = process.env.RAW_NEXT;
const expect = Number(env('RAW_EXPECT'));
// Two connections, as a gavel worker process has: one blocking for the worker, one for adding.
const client = new Redis(url, { maxRetriesPerRequest: null });
const next = nextName
  ? new Queue(nextName, { connection: client, prefix, defaultJobOptions: jobOptionsFor('judge') })
  : undefined;
let done = 0;
const worker = new Worker(
  name,
  async (job: Job) => {
    if (next) await next.add(job.name, job.data, { jobId: job.id });
    else if (++done === expect) process.stdout.write('done\n');
  },
  {
    connection: new Redis(url, { maxRetriesPerRequest: null }),
    prefix,
    concurrency: Number(env('RAW_CONCURRENCY')),
  },
);
await worker.waitUntilReady();
process.stdout.write('ready\n');
process.once('SIGTERM', () => {
  void (async () => {
    await worker.close();
    await next?.close();
    client.disconnect();
    process.exit(0);
  })();
});
