import type { Redis } from 'ioredis';

// Write the manifest once and index the run in the same step. An existing run is indexed too
// (NX keeps its first score): a run that a producer created before this script existed is listed.
const CREATE_RUN = `
local created = redis.call('SET', KEYS[1], ARGV[1], 'NX')
redis.call('ZADD', KEYS[2], 'NX', ARGV[2], ARGV[3])
if created then return 1 end
return 0`;

// Per chunk, in one step: store each sample once (HSETNX) and append the new ones to the order
// list, so no sample is ever stored outside the order. Returns, per sample, 1 when it still needs
// a sandbox job (new, or stored with neither facts, verdict nor failure). A sample stored without
// being listed (a producer of an earlier version died between its two round trips) is listed now;
// that check scans the order list, and runs only when the hash holds more samples than the list.
const PUT_SAMPLES = `
local samples, order, facts, verdicts, failures = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local repair = redis.call('HLEN', samples) > redis.call('LLEN', order)
local out = {}
for i = 1, #ARGV, 2 do
  local id = ARGV[i]
  local created = redis.call('HSETNX', samples, id, ARGV[i + 1])
  if created == 1 then
    redis.call('RPUSH', order, id)
    out[#out + 1] = 1
  else
    if repair and not redis.call('LPOS', order, id) then redis.call('RPUSH', order, id) end
    local done = redis.call('HEXISTS', facts, id) == 1 or redis.call('HEXISTS', verdicts, id) == 1
      or redis.call('HEXISTS', failures, id) == 1
    if done then out[#out + 1] = 0 else out[#out + 1] = 1 end
  end
end
return out`;

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

// Drop a sample's failure only when that same stage's same job recorded it (that job is being
// retried); any other stage or job running for the sample leaves it in place.
const CLEAR_FAILURE_OF_JOB = `
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then return 0 end
local ok, failure = pcall(cjson.decode, raw)
if not ok or failure.stage ~= ARGV[2] or failure.job_id ~= ARGV[3] then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
return 1`;

/** The run store's connection with its scripts defined. */
export type StoreRedis = Redis & {
  gavelCreateRun(manifestKey: string, runsKey: string, json: string, score: string, runId: string): Promise<number>;
  gavelPutSamples(
    samples: string,
    order: string,
    facts: string,
    verdicts: string,
    failures: string,
    ...idsAndJson: string[]
  ): Promise<number[]>;
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
  gavelClearFailureOfJob(failures: string, id: string, stage: string, jobId: string): Promise<number>;
};

/** Defines the run store's scripts on `redis` once (EVALSHA, loaded again after a Redis restart). */
export function withStoreScripts(redis: Redis): StoreRedis {
  const r = redis as StoreRedis;
  if (typeof r.gavelClearFailureOfJob !== 'function') {
    redis.defineCommand('gavelCreateRun', { numberOfKeys: 2, lua: CREATE_RUN });
    redis.defineCommand('gavelPutSamples', { numberOfKeys: 5, lua: PUT_SAMPLES });
    redis.defineCommand('gavelPutFinalVerdict', { numberOfKeys: 4, lua: PUT_FINAL_VERDICT });
    redis.defineCommand('gavelRecordFailure', { numberOfKeys: 2, lua: RECORD_FAILURE });
    redis.defineCommand('gavelClearFailureOfJob', { numberOfKeys: 1, lua: CLEAR_FAILURE_OF_JOB });
  }
  return r;
}
