import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { runKey, stageQueuePrefix } from '@gavel/core';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gavel, jsonl, startWorkers, textSample } from '../support/gavel.ts';
import { type RedisServer, startRedis } from '../support/redis.ts';
import { sandboxImage } from './sandbox-fixtures.ts';

let redis: RedisServer;
let client: Redis;
let dir: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  redis = await startRedis();
  client = new Redis(redis.url);
  dir = await mkdtemp(join(tmpdir(), 'gavel-pipeline-'));
  env = { GAVEL_REDIS_URL: redis.url, GAVEL_LOG_LEVEL: 'warn', GAVEL_SANDBOX: 'none', GAVEL_JUDGE: 'facts' };
});

afterAll(async () => {
  client.disconnect();
  await redis.stop();
  await rm(dir, { recursive: true, force: true });
});

// biome-ignore lint/suspicious/noExplicitAny: export records are JSON checked field by field
async function exported(runId: string): Promise<Record<string, any>[]> {
  const out = join(dir, `${runId}.jsonl`);
  const result = await gavel(['export', runId, '--out', out], env);
  expect(result.code, result.stderr).toBe(0);
  return (await readFile(out, 'utf8'))
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
}

describe('the pipeline on a real Redis, through separate worker processes', () => {
  it('grades every text sample once and exports facts, verdict, route and rubric', async () => {
    const rows = Array.from({ length: 30 }, (_, i) => textSample(i));
    const file = join(dir, 'text.jsonl.gz');
    await writeFile(file, gzipSync(jsonl(rows)));
    const enq = await gavel(['enqueue', file, '--run', 'run-text'], env);
    expect(enq.code, enq.stderr).toBe(0);
    expect(enq.stdout.trim()).toBe('run-text');
    const workers = startWorkers(env);
    try {
      const waited = await gavel(['wait', 'run-text', '--timeout', '120'], env);
      expect(waited.code, waited.stderr + workers.output()).toBe(0);
    } finally {
      await workers.stop();
    }
    const records = await exported('run-text');
    expect(records.map((r) => r.sample_id)).toEqual(rows.map((r) => r.id));
    const lock = JSON.parse(await readFile(join(import.meta.dirname, '../../rubrics/rubrics.lock.json'), 'utf8'));
    for (const [i, record] of records.entries()) {
      const correct = rows[i]?.output === 'Paris';
      expect(record.status).toBe('verdict');
      expect(record.route).toBe('final');
      expect(record.facts.reference.exact_match).toBe(correct);
      expect(record.facts.reference.f1).toBe(correct ? 1 : 0);
      expect(record.facts.timed_out).toBe(false);
      expect(record.verdict.pass).toBe(correct);
      expect(record.verdict.facts_only).toBe(true);
      expect(record.verdict.rationale).toMatch(/Facts-only verdict/);
      expect(record.rubric.hash).toBe(lock[`${record.rubric.id}@${record.rubric.version}`].sha256);
    }
    const status = await gavel(['status', 'run-text', '--json'], env);
    const parsed = JSON.parse(status.stdout);
    expect(parsed.ended).toBe(30);
    expect(parsed.stages.find((s: { stage: string }) => s.stage === 'judge').done).toBe(30);
    const runs = await gavel(['runs', '--json'], env);
    expect(runs.stdout).toContain('"run_id":"run-text"');
  });

  it('adds nothing twice when the same run is enqueued again', async () => {
    const file = join(dir, 'again.jsonl');
    await writeFile(file, jsonl(Array.from({ length: 10 }, (_, i) => textSample(i))));
    expect((await gavel(['enqueue', file, '--run', 'run-again'], env)).code).toBe(0);
    expect((await gavel(['enqueue', file, '--run', 'run-again'], env)).code).toBe(0);
    expect(await client.llen(runKey('gavel', 'run-again', 'order'))).toBe(10);
    const sandbox = new Queue('sandbox', { connection: client, prefix: stageQueuePrefix('gavel', 'sandbox') });
    const jobs = await sandbox.getJobs(['waiting', 'active', 'delayed', 'completed'], 0, -1);
    await sandbox.close();
    expect(
      jobs
        .filter((j) => j.id?.startsWith('run-again~'))
        .map((j) => j.id)
        .sort(),
    ).toEqual(Array.from({ length: 10 }, (_, i) => `run-again~s-${i}`).sort());
    const workers = startWorkers(env);
    try {
      expect((await gavel(['wait', 'run-again', '--timeout', '120'], env)).code).toBe(0);
    } finally {
      await workers.stop();
    }
    // Enqueued a third time after it finished: every sample already has a verdict, so no job is added.
    const third = await gavel(['enqueue', file, '--run', 'run-again', '--json'], env);
    expect(JSON.parse(third.stdout)).toMatchObject({ queued: 0, existed: true });
    expect(await client.hlen(runKey('gavel', 'run-again', 'verdicts'))).toBe(10);
  });

  it('refuses a different dataset under an existing run id', async () => {
    const file = join(dir, 'other.jsonl');
    await writeFile(file, jsonl([textSample(99)]));
    const result = await gavel(['enqueue', file, '--run', 'run-again'], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/run run-again already exists with another dataset/);
  });

  it('fails a code sample the sandbox cannot lay out visibly, and retries it from the CLI', async () => {
    // A sample whose files hold both a.py and a.py/b.py cannot be written to a workspace: bad input,
    // failed at once with its reason (a missing sandbox, by contrast, stops the worker: see
    // test/e2e/sandbox-misconfigured.test.ts).
    const file = join(dir, 'code.jsonl');
    await writeFile(
      file,
      jsonl([
        textSample(1, { id: 'text-ok' }),
        {
          id: 'code-1',
          kind: 'code',
          prompt: 'def f(): ...',
          output: 'def f():\n    return 1\n',
          tests: 'from solution import f\n\ndef test_f():\n    assert f() == 1\n',
          files: { 'a.py': 'x = 1\n', 'a.py/b.py': 'y = 2\n' },
          sut: { model: 'm', family: 'acme' },
        },
      ]),
    );
    const dockerEnv = { ...env, GAVEL_SANDBOX: 'docker', GAVEL_SANDBOX_IMAGE: sandboxImage() };
    expect((await gavel(['enqueue', file, '--run', 'run-code'], dockerEnv)).code).toBe(0);
    const workers = startWorkers(dockerEnv);
    try {
      expect((await gavel(['wait', 'run-code', '--timeout', '150'], env)).code).toBe(0);
      const records = await exported('run-code');
      const code = records.find((r) => r.sample_id === 'code-1');
      expect(code?.status).toBe('failed');
      expect(code?.failure).toMatchObject({ stage: 'sandbox', code: 'input' });
      expect(code?.failure.reason).toMatch(/a\.py/);
      expect(records.find((r) => r.sample_id === 'text-ok')?.status).toBe('verdict');
      // The failed job is kept for a retry; retrying it runs the stage again (and fails again, visibly).
      const sandbox = new Queue('sandbox', { connection: client, prefix: stageQueuePrefix('gavel', 'sandbox') });
      expect(await sandbox.getFailedCount()).toBe(1);
      const retried = await gavel(['retry', 'run-code', '--stage', 'sandbox'], env);
      expect(retried.stderr).toMatch(/sandbox: retried 1 failed job/);
      expect((await gavel(['wait', 'run-code', '--timeout', '150'], env)).code).toBe(0);
      const job = await sandbox.getJob('run-code~code-1');
      expect(job?.attemptsStarted).toBeGreaterThanOrEqual(2);
      expect(await sandbox.getFailedCount()).toBe(1);
      await sandbox.close();
      expect(await client.hexists(runKey('gavel', 'run-code', 'failures'), 'code-1')).toBe(1);
    } finally {
      await workers.stop();
    }
  });

  it('reports bad input as file:line: field: message and enqueues nothing', async () => {
    const file = join(dir, 'bad.jsonl');
    const rows = [
      jsonl([textSample(1)]).trim(),
      '{"id": "x", "kind": "essay", "prompt": "p", "output": "o", "sut": {"model": "m", "family": "f"}}',
      'not json',
      jsonl([textSample(2, { sut: { model: 'm' } })]).trim(),
      jsonl([textSample(1)]).trim(),
    ];
    await writeFile(file, `${rows.join('\n')}\n`);
    const result = await gavel(['enqueue', file, '--run', 'run-bad'], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${file}:2: kind:`);
    expect(result.stderr).toContain(`${file}:3: (line): not valid JSON`);
    expect(result.stderr).toContain(`${file}:4: sut.family:`);
    expect(result.stderr).toContain(`${file}:5: id: duplicate id "s-1" (first on line 1)`);
    expect(result.stderr).toMatch(/4 invalid line\(s\), nothing enqueued/);
    expect(await client.exists(runKey('gavel', 'run-bad', 'manifest'))).toBe(0);

    const skipped = await gavel(['enqueue', file, '--run', 'run-bad', '--skip-invalid', '--json'], env);
    expect(skipped.code, skipped.stderr).toBe(0);
    expect(JSON.parse(skipped.stdout)).toMatchObject({ samples: 1, skipped_invalid: 4 });
  });

  it("refuses at enqueue a sample written by the judge's own model family", async () => {
    const file = join(dir, 'clash.jsonl');
    await writeFile(file, jsonl([textSample(1, { sut: { model: 'other-7b', family: 'other' } }), textSample(2)]));
    const judgeEnv = {
      ...env,
      GAVEL_JUDGE: 'vllm',
      GAVEL_JUDGE_URL: 'http://127.0.0.1:9',
      GAVEL_JUDGE_MODEL: 'acme-judge',
      GAVEL_JUDGE_FAMILY: 'ACME',
    };
    const result = await gavel(['enqueue', file, '--run', 'run-clash'], judgeEnv);
    expect(result.code, result.stderr + result.stdout).toBe(1);
    expect(result.stderr).toContain(
      `${file}:2: sut.family: judge family "ACME" is the family of the system under test`,
    );
    expect(await client.exists(runKey('gavel', 'run-clash', 'manifest'))).toBe(0);
  });

  it('caps the error listing at 20 lines and counts the rest', async () => {
    const file = join(dir, 'many-bad.jsonl');
    await writeFile(file, `${Array.from({ length: 25 }, () => '{"id": 1}').join('\n')}\n`);
    const result = await gavel(['enqueue', file], env);
    expect(result.code).toBe(1);
    const listed = result.stderr.split('\n').filter((l) => l.startsWith(`${file}:`));
    expect(listed).toHaveLength(20);
    expect(result.stderr).toMatch(/… and \d+ more error\(s\)/);
  });

  it('stops a worker with one clear line on a bad configuration value', async () => {
    const result = await gavel(['doctor'], { ...env, GAVEL_ATTEMPTS: 'many' });
    expect(result.code).toBe(78);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/GAVEL_ATTEMPTS="many": /);
  });

  it('doctor checks noeviction and AOF on the real Redis', async () => {
    const result = await gavel(['doctor'], env);
    expect(result.stdout).toMatch(/ok {3}redis maxmemory-policy: noeviction/);
    expect(result.stdout).toMatch(/ok {3}redis persistence: AOF on/);
    await client.config('SET', 'maxmemory-policy', 'allkeys-lru');
    const bad = await gavel(['doctor'], env);
    await client.config('SET', 'maxmemory-policy', 'noeviction');
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(
      /FAIL redis maxmemory-policy: allkeys-lru — fix: redis-cli config set maxmemory-policy noeviction/,
    );
  });
});
