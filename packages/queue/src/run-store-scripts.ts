import type { RedisClient } from './redis.ts';

// Every script starts with a `#!lua` shebang: Redis 7 then refuses (in a cluster) a script that
// touches a key of another slot, loudly, and refuses a writing script as a whole under OOM
// instead of letting it stop half-way. Each script's keys are one run's (`<prefix>:{run:<id>}:…`).

// Per chunk, in one step: store each sample once (HSETNX) and append the new ones to the order
// list, so no sample is ever stored outside the order. Returns, per sample, 1 when it still needs
// a sandbox job (new, or stored with neither facts, verdict nor failure). A sample stored without
// being listed (a producer of an earlier version died between its two round trips) is listed now;
// that check scans the order list, and runs only when the hash holds more samples than the list.
const PUT_SAMPLES = `#!lua
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

// HSETNX the verdict (and, in the same step, the judgement it came from when given: ARGV[4], or
// '=' when the judgement is the verdict itself, so its JSON is not sent twice); on first write drop
// any failure record and count arbiter-decided verdicts.
const PUT_FINAL_VERDICT = `#!lua
if ARGV[4] == '=' then redis.call('HSETNX', KEYS[4], ARGV[1], ARGV[2])
elseif ARGV[4] ~= '' then redis.call('HSETNX', KEYS[4], ARGV[1], ARGV[4]) end
local written = redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2])
if written == 1 then
  redis.call('HDEL', KEYS[2], ARGV[1])
  if ARGV[3] == '1' then redis.call('SADD', KEYS[3], ARGV[1]) end
end
return written`;

// Record a terminal failure unless the sample already has a final verdict.
const RECORD_FAILURE = `#!lua
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return 0 end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
return 1`;

// Drop a sample's failure only when that same stage's same job recorded it (that job is being
// retried); any other stage or job running for the sample leaves it in place.
const CLEAR_FAILURE_OF_JOB = `#!lua
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then return 0 end
local ok, failure = pcall(cjson.decode, raw)
if not ok or failure.stage ~= ARGV[2] or failure.job_id ~= ARGV[3] then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
return 1`;

// What a stage needs about one sample, in one command (no pipeline: ioredis builds each pipeline
// by copying every script defined on the connection, BullMQ's included). A read: it writes nothing.
const LOAD_FOR_STAGE = `#!lua flags=no-writes
local id = ARGV[1]
return { redis.call('HGET', KEYS[1], id), redis.call('HGET', KEYS[2], id), redis.call('HGET', KEYS[3], id),
  redis.call('HGET', KEYS[4], id), redis.call('HGET', KEYS[5], id) }`;

/** The run store's connection with its scripts defined. */
export type StoreRedis = RedisClient & {
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
  /** samples, facts, judgements, verdicts, completions → each one's entry for `id` (null when absent). */
  gavelLoadForStage(
    samples: string,
    facts: string,
    judgements: string,
    verdicts: string,
    completions: string,
    id: string,
  ): Promise<(string | null)[]>;
};

/** Defines the run store's scripts on `redis` once (EVALSHA, loaded again after a Redis restart). */
export function withStoreScripts(redis: RedisClient): StoreRedis {
  const r = redis as StoreRedis;
  if (typeof r.gavelLoadForStage !== 'function') {
    redis.defineCommand('gavelPutSamples', { numberOfKeys: 5, lua: PUT_SAMPLES });
    redis.defineCommand('gavelPutFinalVerdict', { numberOfKeys: 4, lua: PUT_FINAL_VERDICT });
    redis.defineCommand('gavelRecordFailure', { numberOfKeys: 2, lua: RECORD_FAILURE });
    redis.defineCommand('gavelClearFailureOfJob', { numberOfKeys: 1, lua: CLEAR_FAILURE_OF_JOB });
    redis.defineCommand('gavelLoadForStage', { numberOfKeys: 5, lua: LOAD_FOR_STAGE });
  }
  return r;
}
