import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Facts } from '@gavel/core';
import { createRedis, RunStore } from '@gavel/queue';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gavel, jsonl } from '../support/gavel.ts';
import { type RedisServer, startRedis } from '../support/redis.ts';

let dir: string;
let redis: RedisServer;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gavel-code-pass-at-k-'));
  redis = await startRedis({ appendonly: false });
});

afterAll(async () => {
  await redis?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** What the sandbox records of one execution: `expected` tests, `passed` of them, and how it ended. */
function facts(passed: number, opts: { failed?: number; errors?: number; timedOut?: boolean } = {}): Facts {
  const failed = opts.failed ?? 4 - passed;
  return Facts.parse({
    kind: 'code',
    reference: null,
    tests: {
      passed,
      failed,
      errors: opts.errors ?? 0,
      skipped: 0,
      total: passed + failed + (opts.errors ?? 0),
      collected: 4,
      expected: 4,
      cases: [],
    },
    ruff: null,
    pyright: null,
    exit_code: passed === 4 ? 0 : 1,
    duration_ms: 120,
    timed_out: opts.timedOut ?? false,
    oom_killed: false,
    output_truncated: false,
    fabricated_claim: [],
    sandbox: { image: 'gavel-sandbox', image_digest: `sha256:${'0'.repeat(64)}` },
  });
}

describe('gavel report on a code run with n samples per task', () => {
  it('gives pass@1, pass@5 and pass@10 by the tests, equal to the values computed by hand', async () => {
    // Solved samples (every expected test passed) per task: t1 3 of 10, t2 0 of 10, t3 10 of 10, t4 1 of 5.
    const plan: Record<string, Facts[]> = {
      t1: [
        ...Array.from({ length: 3 }, () => facts(4)),
        // All four passed but the run timed out, or an error beside them: not solved.
        facts(4, { failed: 0, timedOut: true }),
        facts(4, { failed: 0, errors: 1 }),
        ...Array.from({ length: 5 }, () => facts(1)),
      ],
      t2: Array.from({ length: 10 }, (_, i) => facts(i % 4)),
      t3: Array.from({ length: 10 }, () => facts(4)),
      t4: [facts(4), facts(0), facts(2), facts(3), facts(1)],
    };
    const rows = Object.entries(plan).flatMap(([task, list]) =>
      list.map((_, i) => ({
        id: `${task}-${i}`,
        kind: 'code',
        task_id: task,
        prompt: 'def add(a, b):',
        output: 'def add(a, b):\n    return a + b\n',
        tests: 'from solution import add\n\ndef test_add():\n    assert add(1, 2) == 3\n',
        sut: { model: 'coder-7b', family: 'acme' },
      })),
    );
    const file = join(dir, 'code.jsonl');
    await writeFile(file, jsonl(rows));
    const env = { GAVEL_REDIS_URL: redis.url, GAVEL_LOG_LEVEL: 'warn' };
    const enqueued = await gavel(['enqueue', file, '--run', 'code-n'], env);
    expect(enqueued.code, enqueued.stderr).toBe(0);
    // The sandbox stage's results, recorded as the sandbox worker records them.
    const client = createRedis(redis.url, { role: 'client' });
    try {
      const store = new RunStore(client, 'gavel');
      for (const [task, list] of Object.entries(plan))
        for (const [i, f] of list.entries()) await store.putFacts('code-n', `${task}-${i}`, f);
    } finally {
      client.disconnect();
    }
    const report = await gavel(['report', 'code-n'], env);
    expect(report.code, report.stderr).toBe(0);
    // By hand (Chen et al.: pass@k = 1 − C(n−c, k)/C(n, k), averaged over the tasks with n ≥ k):
    // pass@1 = (3/10 + 0 + 1 + 1/5) / 4 = 1.5 / 4 = 0.375
    // pass@5 = ((1 − C(7,5)/C(10,5)) + 0 + 1 + 1) / 4 = (1 − 21/252 + 2) / 4 = 0.7291666…
    // pass@10 (t1–t3 only) = (1 + 0 + 1) / 3 = 0.6666…
    const pass5 = (1 - 21 / 252 + 2) / 4;
    expect(report.stdout).toContain(
      'code samples per task: 35 over 4 tasks (n = 5–10); solved = every expected test passed',
    );
    expect(report.stdout).toContain('pass@1: 0.3750 over 4 tasks');
    expect(report.stdout).toContain(`pass@5: ${pass5.toFixed(4)} over 4 tasks`);
    expect(pass5.toFixed(4)).toBe('0.7292');
    expect(report.stdout).toContain('pass@10: 0.6667 over 3 tasks');
    const json = JSON.parse((await gavel(['report', 'code-n', '--json'], env)).stdout);
    expect(json.code_pass_at_k.pass_at_k).toEqual([
      { k: 1, value: expect.closeTo(0.375, 12), tasks: 4 },
      { k: 5, value: expect.closeTo(pass5, 12), tasks: 4 },
      { k: 10, value: expect.closeTo(2 / 3, 12), tasks: 3 },
    ]);
  });
});
