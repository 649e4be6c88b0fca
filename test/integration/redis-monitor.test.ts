import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisServer, startRedis } from '../support/redis.ts';
import { type MonitoredCommand, monitorRedis, parseMonitorLine } from '../support/redis-monitor.ts';

let redis: RedisServer;
let client: Redis;

beforeAll(async () => {
  redis = await startRedis();
  client = new Redis(redis.url);
});

afterAll(async () => {
  client?.disconnect();
  await redis?.stop();
});

/** Waits until `seen` holds a command whose arguments start with `args`. */
async function sawCommand(seen: MonitoredCommand[], ...args: string[]): Promise<MonitoredCommand> {
  for (let i = 0; i < 200; i += 1) {
    const found = seen.find((c) => args.every((a, j) => c.args[j] === a));
    if (found) return found;
    await sleep(10);
  }
  throw new Error(`MONITOR never reported ${args.join(' ')}`);
}

describe('the tests’ MONITOR reader', () => {
  it('parses the report of the Redis documentation’s example', () => {
    // from https://redis.io/docs/latest/commands/monitor/
    expect(parseMonitorLine('+1339518083.107412 [0 127.0.0.1:60866] "keys" "*"')).toEqual({
      args: ['keys', '*'],
      source: '127.0.0.1:60866',
    });
    expect(parseMonitorLine('+1339518100.544926 [0 lua] "set" "foo" "bar"').source).toBe('lua');
  });

  it('gives back the bytes of arguments Redis escapes (quotes, backslashes, control and non-ASCII bytes)', async () => {
    const seen: MonitoredCommand[] = [];
    const monitor = await monitorRedis(redis.url, (c) => seen.push(c));
    try {
      const key = 'mon:a"b\\c d';
      const value = 'line\nnext\r\ttab\x07\b\x01 é "quoted"';
      await client.set(key, value);
      const set = await sawCommand(seen, 'set', key);
      expect(set.args).toEqual(['set', key, Buffer.from(value, 'utf8').toString('latin1')]);
      expect(set.source).toMatch(/^127\.0\.0\.1:\d+$/);
    } finally {
      monitor.stop();
    }
  });

  it('starts while another client keeps Redis busy, and reports what runs after it started', async () => {
    // ioredis's monitor() failed here with "Command queue state error": the first report came in the
    // same read as MONITOR's +OK, before ioredis had switched the connection to monitoring
    const flood = new Redis(redis.url);
    await flood.ping();
    let flooding = true;
    const floodDone = (async () => {
      while (flooding) await Promise.all(Array.from({ length: 20 }, () => flood.ping()));
    })();
    let pingsSeen = 0;
    try {
      for (let round = 0; round < 20; round += 1) {
        const seen: MonitoredCommand[] = [];
        const monitor = await monitorRedis(redis.url, (c) => seen.push(c));
        try {
          await client.echo(`round-${round}`);
          await sawCommand(seen, 'echo', `round-${round}`);
          pingsSeen += seen.filter((c) => c.args[0] === 'ping').length;
        } finally {
          monitor.stop();
        }
      }
    } finally {
      flooding = false;
      await floodDone;
      flood.disconnect();
    }
    // the monitors did start while Redis was busy (a round may see no ping: none ran in its window)
    expect(pingsSeen).toBeGreaterThan(0);
  });
});
