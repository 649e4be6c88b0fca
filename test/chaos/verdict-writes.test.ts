import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createRedis, RunStore } from '@gavel/queue';
import { describe, expect, it } from 'vitest';
import { durableRedis } from '../support/durable-redis.ts';
import { verdict } from '../support/export-records.ts';
import { freePort } from '../support/redis.ts';
import { monitorArgs, watchVerdictWrites } from './verdict-writes.ts';

describe("the chaos suite's witness of double decisions", () => {
  it('parses a MONITOR line and undoes its quoting', () => {
    const line = String.raw`1733040000.123456 [0 lua] "HSETNX" "gavel:run:r:verdicts" "s-1" "{\"a\":\"caf\xc3\xa9\\n\"}"`;
    const args = monitorArgs(line);
    expect(args).toEqual(['HSETNX', 'gavel:run:r:verdicts', 's-1', '{"a":"café\\n"}']);
    expect(monitorArgs(line.slice(0, 40))).toEqual([]);
  });

  it('counts a second grading whose write was refused, a resent identical write once, and writes kept only in the AOF', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gavel-chaos-witness-'));
    const server = durableRedis(await freePort(), dir);
    await server.start();
    const redis = createRedis(server.url, { role: 'worker' });
    redis.on('error', () => {});
    const store = new RunStore(redis);
    const runId = 'witness';
    const writes = watchVerdictWrites(server.port, dir, store.key(runId, 'verdicts'), join(dir, 'monitor.log'));
    try {
      writes.attach();
      await sleep(300);
      const first = verdict(true, 0.9, { decided_at: '2026-12-01T10:00:00.000Z' });
      const second = verdict(false, 0.2, { decided_at: '2026-12-01T10:00:01.000Z' });
      expect(await store.putFinalVerdict(runId, 'twice', first)).toBe(true);
      // The same sample graded again: its write is refused, and still seen.
      expect(await store.putFinalVerdict(runId, 'twice', second)).toBe(false);
      // The same verdict bytes sent again (a client resending after a reconnect): one decision.
      expect(await store.putFinalVerdict(runId, 'once', first)).toBe(true);
      expect(await store.putFinalVerdict(runId, 'once', first)).toBe(false);
      await sleep(300);
      await writes.detach();
      // Not watched by MONITOR: only the AOF has it (after the fsync of everysec).
      expect(await store.putFinalVerdict(runId, 'aof-only', second)).toBe(true);
      await sleep(1_500);
      const decisions = writes.decisions();
      expect(decisions.get('twice')?.size).toBe(2);
      expect(decisions.get('once')?.size).toBe(1);
      expect(decisions.get('aof-only')?.size).toBe(1);
      expect(writes.attempts()).toBe(4);
    } finally {
      await writes.detach();
      redis.disconnect();
      await server.kill('SIGTERM');
      await rm(dir, { recursive: true, force: true });
    }
  });
});
