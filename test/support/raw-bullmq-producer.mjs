// The raw baseline's producer as its own process, on plain Node (no tsx), as a BullMQ user runs a
// producer script: loads BullMQ, adds RAW_N jobs to RAW_QUEUE in chunks of 1000 (addBulk) with the
// job options in RAW_JOB_OPTIONS (JSON) and ids `<RAW_PREFIX>~s-<i>`, then exits. Used by
// test/bench/pipeline-10k.ts so that raw BullMQ pays a process start as `gavel enqueue` does.
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';

const need = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const prefix = need('RAW_PREFIX');
const n = Number(need('RAW_N'));
const connection = new Redis(need('RAW_REDIS_URL'), { maxRetriesPerRequest: null });
const queue = new Queue(need('RAW_QUEUE'), {
  connection,
  prefix,
  defaultJobOptions: JSON.parse(need('RAW_JOB_OPTIONS')),
});
for (let i = 0; i < n; i += 1000) {
  const chunk = [];
  for (let k = i; k < Math.min(i + 1000, n); k++)
    chunk.push({ name: 'sample', data: { runId: prefix, sampleId: `s-${k}` }, opts: { jobId: `${prefix}~s-${k}` } });
  await queue.addBulk(chunk);
}
await queue.close();
connection.disconnect();
