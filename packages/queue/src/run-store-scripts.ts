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

// Per sample (ARGV in fours: id, verdict JSON, arbitrated flag, judgement): HSETNX the verdict (and,
// in the same step, the judgement it came from when given: the JSON, or '=' when the judgement is the
// verdict itself, so its JSON is not sent twice); on first write drop any failure record and count
// arbiter-decided verdicts. Returns, per sample, 1 when this wrote its verdict. Several samples of
// one run go in one call (see turn-batch.ts); each one's step is atomic on its own.
const PUT_FINAL_VERDICTS = `#!lua
local out = {}
for i = 1, #ARGV, 4 do
  local id, json, arb, judgement = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  if judgement == '=' then redis.call('HSETNX', KEYS[4], id, json)
  elseif judgement ~= '' then redis.call('HSETNX', KEYS[4], id, judgement) end
  local written = redis.call('HSETNX', KEYS[1], id, json)
  if written == 1 then
    redis.call('HDEL', KEYS[2], id)
    if arb == '1' then redis.call('SADD', KEYS[3], id) end
  end
  out[#out + 1] = written
end
return out`;

// Per sample (ARGV in pairs: id, facts JSON): record its facts once (HSETNX); 1 when this wrote them.
const PUT_FACTS = `#!lua
local out = {}
for i = 1, #ARGV, 2 do out[#out + 1] = redis.call('HSETNX', KEYS[1], ARGV[i], ARGV[i + 1]) end
return out`;

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

// What a stage needs about each sample named in ARGV, in one command (no pipeline: ioredis builds
// each pipeline by copying every script defined on the connection, BullMQ's included): five entries
// per sample, in ARGV order. A read: it writes nothing.
const LOAD_FOR_STAGE = `#!lua flags=no-writes
local out = {}
for i = 1, #ARGV do
  local id = ARGV[i]
  for k = 1, 5 do out[#out + 1] = redis.call('HGET', KEYS[k], id) end
end
return out`;

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
  /** idsJsonArbJudgement: per sample its id, verdict JSON, '1'/'0' arbitrated and judgement ('' / '=' / JSON). */
  gavelPutFinalVerdicts(
    verdicts: string,
    failures: string,
    arbitrated: string,
    judgements: string,
    ...idsJsonArbJudgement: string[]
  ): Promise<number[]>;
  gavelPutFacts(facts: string, ...idsAndJson: string[]): Promise<number[]>;
  gavelRecordFailure(verdicts: string, failures: string, id: string, json: string): Promise<number>;
  gavelClearFailureOfJob(failures: string, id: string, stage: string, jobId: string): Promise<number>;
  /** samples, facts, judgements, verdicts, completions → per id, each one's entry (null when absent), five per id. */
  gavelLoadForStage(
    samples: string,
    facts: string,
    judgements: string,
    verdicts: string,
    completions: string,
    ...ids: string[]
  ): Promise<(string | null)[]>;
};

/** Defines the run store's scripts on `redis` once (EVALSHA, loaded again after a Redis restart). */
export function withStoreScripts(redis: RedisClient): StoreRedis {
  const r = redis as StoreRedis;
  if (typeof r.gavelLoadForStage !== 'function') {
    redis.defineCommand('gavelPutSamples', { numberOfKeys: 5, lua: PUT_SAMPLES });
    redis.defineCommand('gavelPutFinalVerdicts', { numberOfKeys: 4, lua: PUT_FINAL_VERDICTS });
    redis.defineCommand('gavelPutFacts', { numberOfKeys: 1, lua: PUT_FACTS });
    redis.defineCommand('gavelRecordFailure', { numberOfKeys: 2, lua: RECORD_FAILURE });
    redis.defineCommand('gavelClearFailureOfJob', { numberOfKeys: 1, lua: CLEAR_FAILURE_OF_JOB });
    redis.defineCommand('gavelLoadForStage', { numberOfKeys: 5, lua: LOAD_FOR_STAGE });
  }
  return r;
}
