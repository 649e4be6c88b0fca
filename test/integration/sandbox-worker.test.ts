import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gavel, jsonl, startWorkers } from '../support/gavel.ts';
import { type RedisServer, startRedis } from '../support/redis.ts';
import { containersLeftBy, humanEvalProblems, sandboxImage } from './sandbox-fixtures.ts';

// Code samples through the real worker processes (GAVEL_SANDBOX=docker), a real Redis and the real
// Docker engine: canonical HumanEval solutions pass, wrong and hostile ones fail, a false claim is
// recorded as fabricated, and no container is left behind.

let redis: RedisServer;
let dir: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  redis = await startRedis();
  dir = await mkdtemp(join(tmpdir(), 'gavel-sandbox-worker-'));
  env = {
    GAVEL_REDIS_URL: redis.url,
    GAVEL_LOG_LEVEL: 'warn',
    GAVEL_SANDBOX: 'docker',
    GAVEL_SANDBOX_IMAGE: sandboxImage(),
    GAVEL_SANDBOX_CONCURRENCY: '2',
    GAVEL_JUDGE: 'facts',
  };
});

afterAll(async () => {
  await redis.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('worker-sandbox with the Docker sandbox', () => {
  it('grades code samples from their facts', async () => {
    const problems = humanEvalProblems().slice(0, 6);
    const sut = { model: 'm', family: 'f' };
    const row = (
      id: string,
      p: (typeof problems)[number],
      completion: string,
      extra: Record<string, unknown> = {},
    ) => ({
      id,
      kind: 'code',
      prompt: p.prompt,
      output: p.prompt + completion,
      tests: `${p.test}\n\ncheck(${p.entry_point})\n`,
      expected_tests: 1,
      language: 'python',
      sut,
      ...extra,
    });
    const rows = [
      ...problems.map((p, i) => row(`good-${i}`, p, p.canonical_solution ?? '')),
      row('wrong', problems[0] as never, '    return not True\n'),
      row('exit', problems[1] as never, '    import os\n    os._exit(0)\n'),
      row('liar', problems[2] as never, '    raise NotImplementedError\n', { claims: { tests_passed: true } }),
    ];
    const file = join(dir, 'code.jsonl');
    await writeFile(file, jsonl(rows));
    const enq = await gavel(['enqueue', file, '--run', 'run-code'], env);
    expect(enq.code, enq.stderr).toBe(0);
    const workers = startWorkers(env);
    try {
      const waited = await gavel(['wait', 'run-code', '--timeout', '150'], env, 170_000);
      expect(waited.code, waited.stderr + workers.output()).toBe(0);
    } finally {
      await workers.stop();
    }
    const out = join(dir, 'code-export.jsonl');
    const exported = await gavel(['export', 'run-code', '--out', out], env);
    expect(exported.code, exported.stderr).toBe(0);
    const records = (await readFile(out, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const byId = new Map(records.map((r) => [r.sample_id, r]));
    for (let i = 0; i < problems.length; i++) {
      const r = byId.get(`good-${i}`);
      expect(r.facts.tests).toMatchObject({ passed: 1, failed: 0, expected: 1 });
      expect(r.facts.sandbox.image).toBe(env.GAVEL_SANDBOX_IMAGE);
      expect(r.facts.sandbox.image_digest).toMatch(/^sha256:/);
      expect(r.facts.ruff.version).toBeTruthy();
      expect(r.facts.pyright.version).toBeTruthy();
    }
    for (const id of ['wrong', 'exit', 'liar']) {
      expect(byId.get(id).facts.tests.passed).toBe(0);
      expect(byId.get(id).verdict.pass).toBe(false);
    }
    // os._exit in the sample ends the sample's own process, not pytest: the test fails and says why.
    expect(byId.get('exit').facts.tests.collected).toBe(1);
    expect(byId.get('exit').facts.tests.cases[0].message).toMatch(/sample's process ended \(exit status 0\)/);
    expect(byId.get('liar').facts.fabricated_claim).toEqual(['tests_passed (claimed true, 0/1 passed)']);
    expect(containersLeftBy(workers.output())).toEqual([]);
  });
});
