import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { runKey } from '@gavel/core';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gavel, jsonl, ROOT, startWorkers, textSample } from '../support/gavel.ts';
import { type RedisServer, startRedis } from '../support/redis.ts';
import { sandboxImage } from './sandbox-fixtures.ts';

let redis: RedisServer;
let client: Redis;
let dir: string;
let env: NodeJS.ProcessEnv;

/** Enqueue, workers and wait for a whole run on a loaded 2-core host. */
const RUN_TIMEOUT_MS = 300_000;
const sha256 = (bytes: string | Buffer) => createHash('sha256').update(bytes).digest('hex');

beforeAll(async () => {
  redis = await startRedis();
  client = new Redis(redis.url);
  dir = await mkdtemp(join(tmpdir(), 'gavel-verify-'));
  env = { GAVEL_REDIS_URL: redis.url, GAVEL_LOG_LEVEL: 'warn', GAVEL_SANDBOX: 'none', GAVEL_JUDGE: 'facts' };
});

afterAll(async () => {
  client.disconnect();
  await redis.stop();
  await rm(dir, { recursive: true, force: true });
});

async function finishedRun(runId: string, args: string[], runEnv: NodeJS.ProcessEnv): Promise<void> {
  const enq = await gavel(['enqueue', ...args, '--run', runId], runEnv);
  expect(enq.code, enq.stderr).toBe(0);
  const workers = startWorkers(runEnv);
  try {
    const waited = await gavel(['wait', runId, '--timeout', '150'], runEnv);
    expect(waited.code, waited.stderr + workers.output()).toBe(0);
  } finally {
    await workers.stop();
  }
}

/** Rewrites one recorded field of a sample's facts in Redis (HSET on the run's facts hash), returning the original. */
// biome-ignore lint/suspicious/noExplicitAny: the facts JSON is edited as a forger would
async function tamperFacts(runId: string, sampleId: string, edit: (facts: any) => void): Promise<string> {
  const key = runKey('gavel', runId, 'facts');
  const original = (await client.hget(key, sampleId)) as string;
  const facts = JSON.parse(original);
  edit(facts);
  await client.hset(key, sampleId, JSON.stringify(facts));
  return original;
}

describe('gavel verify on a finished facts-only run (real Redis, worker processes)', () => {
  const runId = 'run-verify';
  let dataset: string;

  beforeAll(async () => {
    dataset = join(dir, 'text.jsonl');
    await writeFile(dataset, jsonl(Array.from({ length: 12 }, (_, i) => textSample(i))));
    await finishedRun(runId, [dataset], env);
  }, RUN_TIMEOUT_MS);

  it('passes when nothing was changed', async () => {
    const result = await gavel(['verify', runId], env);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain('ok: facts-only verdicts: 12 re-derived');
    expect(result.stdout).toContain('ok: rubric text-answer@1.0.0');
    expect(result.stdout).not.toMatch(/^sample /m);
  });

  it('names the sample and field after one recorded fact is changed in Redis', async () => {
    // s-0 answered "Paris": exact match and F1 1, a pass. Forge its facts to a miss.
    const original = await tamperFacts(runId, 's-0', (facts) => {
      facts.reference.exact_match = false;
      facts.reference.f1 = 0;
    });
    try {
      const result = await gavel(['verify', runId], env);
      expect(result.code, result.stdout + result.stderr).toBe(4);
      expect(result.stdout).toContain('sample s-0: verdict.pass: recorded true, re-derived false');
      expect(result.stdout).toContain('sample s-0: verdict.score: recorded 1, re-derived 0');
      expect(result.stdout).toContain('sample s-0: judgement.pass: recorded true, re-derived false');
      // Only the forged sample is named.
      const named = new Set([...result.stdout.matchAll(/^sample ([^:]+):/gm)].map((m) => m[1]));
      expect([...named]).toEqual(['s-0']);
      expect(result.stderr).toMatch(/gavel verify: run run-verify: \d+ mismatch\(es\)/);

      const json = await gavel(['verify', runId, '--json'], env);
      expect(json.code).toBe(4);
      const report = JSON.parse(json.stdout);
      expect(report.mismatches).toContainEqual({
        subject: 'sample s-0',
        sample_id: 's-0',
        field: 'verdict.pass',
        recorded: true,
        rederived: false,
      });
    } finally {
      await client.hset(runKey('gavel', runId, 'facts'), 's-0', original);
    }
    expect((await gavel(['verify', runId], env)).code).toBe(0);
  });

  it('names a sample whose recorded facts no longer parse, and still re-derives the others', async () => {
    const key = runKey('gavel', runId, 'facts');
    const original = (await client.hget(key, 's-1')) as string;
    await client.hset(key, 's-1', JSON.stringify({ kind: 'text' }));
    try {
      const result = await gavel(['verify', runId], env);
      expect(result.code, result.stdout + result.stderr).toBe(4);
      expect(result.stdout).toMatch(
        /^sample s-1: record: recorded "does not parse \(reference: .+\)", re-derived nothing to re-derive from$/m,
      );
      expect(result.stdout).toContain('facts-only verdicts: 11 re-derived');
    } finally {
      await client.hset(key, 's-1', original);
    }
  });

  it('catches the rubric bytes in Redis no longer hashing to the pinned hash', async () => {
    const pinned = sha256(await readFile(join(ROOT, 'rubrics', 'text-answer', '1.0.0.md'), 'utf8'));
    // The run store's key of the published bytes: the one whose value hashes to the pin.
    const keys = await client.keys('gavel:rubric:*');
    const values = await Promise.all(keys.map((k) => client.get(k)));
    const key = keys.find((_, i) => sha256(values[i] ?? '') === pinned) as string;
    const original = (await client.get(key)) as string;
    const forged = original.replace('pass_threshold: 0.6', 'pass_threshold: 0.1');
    expect(forged).not.toBe(original);
    await client.set(key, forged);
    try {
      const result = await gavel(['verify', runId], env);
      expect(result.code, result.stdout + result.stderr).toBe(4);
      expect(result.stdout).toContain(
        `rubric text-answer@1.0.0: Redis bytes sha256: recorded ${pinned}, re-derived ${sha256(forged)}`,
      );
    } finally {
      await client.set(key, original);
    }
  });

  it('hashes --dataset as the producer did and catches a modified file', async () => {
    const same = await gavel(['verify', runId, '--dataset', dataset], env);
    expect(same.code, same.stdout + same.stderr).toBe(0);
    expect(same.stdout).toMatch(/^ok: dataset: /m);

    const manifest = JSON.parse((await client.get(runKey('gavel', runId, 'manifest'))) as string);
    const modified = join(dir, 'text-modified.jsonl');
    const text = (await readFile(dataset, 'utf8')).replace('"output":"London"', '"output":"Paris"');
    await writeFile(modified, text);
    // The dataset hash is sha256 over each file's sha256 and a newline, in order.
    const expected = sha256(`${sha256(text)}\n`);
    const result = await gavel(['verify', runId, '--dataset', modified], env);
    expect(result.code, result.stdout + result.stderr).toBe(4);
    expect(result.stdout).toContain(`dataset: sha256: recorded ${manifest.dataset.sha256}, re-derived ${expected}`);
    expect(result.stdout).toContain(
      `dataset: files[0] (${modified}) sha256: recorded ${manifest.dataset.files[0].sha256}, re-derived ${sha256(text)}`,
    );
  });

  it('exits 1 naming a run that does not exist', async () => {
    const result = await gavel(['verify', 'no-such-run'], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('gavel verify: no run no-such-run');
  });
});

describe('gavel verify on HumanEval code samples run through the Docker sandbox', () => {
  const runId = 'run-verify-code';
  let dockerEnv: NodeJS.ProcessEnv;
  const problems = join(ROOT, 'apps', 'cli', 'demo', 'humaneval-8.jsonl.gz');
  let samples: string;

  beforeAll(async () => {
    dockerEnv = {
      ...env,
      GAVEL_SANDBOX: 'docker',
      GAVEL_SANDBOX_IMAGE: sandboxImage(),
      GAVEL_SANDBOX_CONCURRENCY: '2',
    };
    const tasks = gunzipSync(readFileSync(problems))
      .toString('utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { task_id: string; canonical_solution: string })
      .slice(0, 3);
    samples = join(dir, 'he-samples.jsonl');
    await writeFile(
      samples,
      jsonl([
        { task_id: tasks[0]?.task_id, completion: tasks[0]?.canonical_solution, sample_id: 'he-0-canonical' },
        { task_id: tasks[1]?.task_id, completion: tasks[1]?.canonical_solution, sample_id: 'he-1-canonical' },
        { task_id: tasks[2]?.task_id, completion: '    return None\n', sample_id: 'he-2-wrong' },
      ]),
    );
    await finishedRun(
      runId,
      [
        '--format',
        'humaneval',
        '--problems',
        problems,
        '--samples',
        samples,
        '--sut-model',
        'm',
        '--sut-family',
        'acme',
      ],
      dockerEnv,
    );
  }, RUN_TIMEOUT_MS);

  it('passes on the finished run, the pinned image found on this engine', async () => {
    // A HumanEval dataset is the problems file and the samples file, in that order.
    const result = await gavel(['verify', runId, '--dataset', problems, samples], dockerEnv);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain('ok: facts-only verdicts: 3 re-derived');
    expect(result.stdout).toMatch(/^ok: dataset: /m);
    const manifest = JSON.parse((await client.get(runKey('gavel', runId, 'manifest'))) as string);
    expect(result.stdout).toContain(`ok: sandbox image: ${manifest.stages.sandbox.image_digest} exists on this engine`);
  });

  it('names the sample when its recorded test results are changed', async () => {
    const original = await tamperFacts(runId, 'he-1-canonical', (facts) => {
      expect(facts.tests.passed).toBeGreaterThan(0);
      facts.tests.passed -= 1;
      facts.tests.failed += 1;
    });
    try {
      const result = await gavel(['verify', runId], dockerEnv);
      expect(result.code, result.stdout + result.stderr).toBe(4);
      expect(result.stdout).toContain('sample he-1-canonical: verdict.pass: recorded true, re-derived false');
      // 1 test: one fewer passed is a pass rate of 0/1.
      expect(result.stdout).toContain(
        'sample he-1-canonical: verdict.criteria.tests.score: recorded 1, re-derived 0\n',
      );
      const named = new Set([...result.stdout.matchAll(/^sample ([^:]+):/gm)].map((m) => m[1]));
      expect([...named]).toEqual(['he-1-canonical']);
    } finally {
      await client.hset(runKey('gavel', runId, 'facts'), 'he-1-canonical', original);
    }
  });

  it('names the image digest when the pinned image is not on this engine', async () => {
    const key = runKey('gavel', runId, 'manifest');
    const original = (await client.get(key)) as string;
    const manifest = JSON.parse(original);
    const absent = `sha256:${'0'.repeat(64)}`;
    manifest.stages.sandbox.image_digest = absent;
    await client.set(key, JSON.stringify(manifest));
    try {
      const result = await gavel(['verify', runId], dockerEnv);
      expect(result.code, result.stdout + result.stderr).toBe(4);
      expect(result.stdout).toContain(
        `sandbox image: image_digest: recorded ${absent}, re-derived absent from this Docker engine`,
      );
    } finally {
      await client.set(key, original);
    }
  });
});
