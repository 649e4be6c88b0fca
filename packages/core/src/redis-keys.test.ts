import { describe, expect, it } from 'vitest';
import {
  arbiterBatchKey,
  arbiterRunKey,
  gpuLeaseKeyBase,
  legacyKeys,
  runKey,
  runKeyPrefix,
  stageQueuePrefix,
} from './redis-keys.ts';
import { STAGES } from './stage.ts';

/** The hash tag Redis Cluster hashes a key by: the text inside its first non-empty `{…}`. */
function hashTag(key: string): string {
  const open = key.indexOf('{');
  const close = open < 0 ? -1 : key.indexOf('}', open + 1);
  return close > open + 1 ? key.slice(open + 1, close) : key;
}

describe('Redis key names', () => {
  it('puts every key of a run, its arbiter records and batch keys included, under the run tag', () => {
    const keys = [
      runKey('gavel', 'run-1', 'verdicts'),
      runKey('gavel', 'run-1', 'manifest'),
      arbiterRunKey('gavel', 'run-1', 'state'),
      arbiterRunKey('gavel', 'run-1', 'intent:abc'),
      arbiterBatchKey('gavel', 'run-1', 'msgbatch_01', 'polls'),
      arbiterBatchKey('gavel', 'run-1', 'msgbatch_01'),
    ];
    expect(keys[0]).toBe('gavel:{run:run-1}:verdicts');
    expect(keys[4]).toBe('gavel:{run:run-1}:arb:batch:msgbatch_01:polls');
    expect(new Set(keys.map(hashTag))).toEqual(new Set(['run:run-1']));
    expect(hashTag(runKey('gavel', 'run-2', 'verdicts'))).toBe('run:run-2');
    for (const key of keys) expect(key.startsWith(runKeyPrefix('gavel', 'run-1'))).toBe(true);
    // A run whose id is a prefix of another's shares no key prefix with it.
    expect(runKey('gavel', 'run-10', 'x').startsWith(runKeyPrefix('gavel', 'run-1'))).toBe(false);
  });

  it('gives each stage queue its own hash tag, and each GPU lease its own', () => {
    const tags = STAGES.map((stage) => hashTag(`${stageQueuePrefix('gavel', stage)}:${stage}:wait`));
    expect(tags).toEqual(['generate', 'sandbox', 'judge', 'arbiter-submit', 'arbiter-collect']);
    expect(stageQueuePrefix('{gavel}', 'judge')).toBe('gavel:{judge}');
    expect(hashTag(`${gpuLeaseKeyBase('gavel', '0')}:lease`)).toBe('gpu:0');
  });

  it('parses the keys of the old layout for the migration', () => {
    expect(legacyKeys.parseRunKey('gavel', 'gavel:run:run-1:arb:intent:k')).toEqual({
      runId: 'run-1',
      part: 'arb:intent:k',
    });
    expect(legacyKeys.parseRunKey('gavel', 'gavel:runs')).toBeUndefined();
    expect(legacyKeys.parseRunKey('gavel', 'gavel:{run:run-1}:facts')).toBeUndefined();
    expect(legacyKeys.parseBatchKey('gavel', 'gavel:arb:batch:msgbatch_1')).toEqual({
      batchId: 'msgbatch_1',
      part: '',
    });
    expect(legacyKeys.parseBatchKey('gavel', 'gavel:arb:batch:msgbatch_1:polls')).toEqual({
      batchId: 'msgbatch_1',
      part: 'polls',
    });
  });
});
