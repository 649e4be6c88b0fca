import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ExportRecord } from '@gavel/report';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { humanEvalOutcome, humanEvalPolicy } from '../fakes/humaneval-sut-policy.ts';
import { type FakeSut, startFakeSut } from '../fakes/openai-sut-server.ts';
import { containersLeftBy, humanEvalProblems, sandboxImage } from '../integration/sandbox-fixtures.ts';
import { gavel, startWorkers } from '../support/gavel.ts';
import { type RedisServer, startRedis } from '../support/redis.ts';

// From prompts to verdicts in one flow: `gavel enqueue --generate 5` on HumanEval from the problems
// file alone, against the fake SUT, every completion run in the real Docker sandbox and graded, and
// `gavel report` giving pass@1 and pass@5 — checked against values counted by hand from what the
// fake answers (humaneval-sut-policy.ts: canonical, wrong, or cut by the token limit per task and seed).
//
// Inside `npm test` it runs on the first GAVEL_TEST_GENERATE_PROBLEMS problems of the file (24 by
// default: 120 completions, about a minute of sandbox time); the whole file, 164 × 5 = 820 samples, is
// `GAVEL_TEST_GENERATE_PROBLEMS=164 npx vitest run test/e2e/generate-humaneval.test.ts`.

const P = Number(process.env.GAVEL_TEST_GENERATE_PROBLEMS ?? 24);
const problems = humanEvalProblems().slice(0, P);
const N = 5;
const total = P * N;
let problemsFile: string;
let redis: RedisServer;
let sut: FakeSut;
let dir: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  redis = await startRedis();
  sut = await startFakeSut({ policy: humanEvalPolicy(problems), storesCompletions: true, latencyMs: 5 });
  dir = await mkdtemp(join(tmpdir(), 'gavel-generate-'));
  problemsFile = join(dir, 'HumanEval-first.jsonl.gz');
  await writeFile(problemsFile, gzipSync(`${problems.map((p) => JSON.stringify(p)).join('\n')}\n`));
  env = {
    GAVEL_REDIS_URL: redis.url,
    GAVEL_LOG_LEVEL: 'warn',
    GAVEL_SANDBOX: 'docker',
    GAVEL_SANDBOX_IMAGE: sandboxImage(),
    GAVEL_SANDBOX_CONCURRENCY: '2',
    GAVEL_JUDGE: 'facts',
    GAVEL_SUT_URL: sut.url,
    GAVEL_SUT_MODEL: 'sut-model',
  };
});

afterAll(async () => {
  await sut?.close();
  await redis?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('gavel enqueue --generate 5 on HumanEval', () => {
  it(`grades ${total} generated samples (${P} problems × ${N}) in the Docker sandbox and reports pass@1 and pass@5`, {
    timeout: 4_000_000,
  }, async () => {
    const enqueued = await gavel(
      [
        'enqueue',
        '--format',
        'humaneval',
        '--problems',
        problemsFile,
        '--generate',
        String(N),
        '--sut-family',
        'acme',
        '--run',
        'he-gen',
      ],
      env,
    );
    expect(enqueued.code, enqueued.stderr).toBe(0);
    expect(enqueued.stderr).toMatch(
      new RegExp(
        `estimate: ${P} prompts × 5 = ${total} completions of sut-model; \\d+ prompt tokens \\(approximated: 4 characters a token\\)`,
      ),
    );
    const workers = startWorkers(env);
    try {
      const waited = await gavel(['wait', 'he-gen', '--timeout', '3600'], env, 3_660_000);
      expect(waited.code, waited.stderr + workers.output()).toBe(0);
    } finally {
      await workers.stop();
    }
    expect(sut.generations.size).toBe(total);
    expect([...sut.generations.values()].every((n) => n === 1)).toBe(true);

    // By hand: c_t = completions of task t (seeds 0..4) the fake answered correctly.
    // pass@1 = mean c_t/5; pass@5 = mean [c_t > 0] (with n = k = 5 the estimator is 1 − C(5 − c, 5)/C(5, 5)).
    const correct = problems.map(
      (_, t) => Array.from({ length: N }, (_, s) => humanEvalOutcome(t, s)).filter((o) => o === 'correct').length,
    );
    const cut = problems
      .flatMap((_, t) => Array.from({ length: N }, (_, s) => humanEvalOutcome(t, s)))
      .filter((o) => o === 'cut').length;
    const pass1 = correct.reduce((s, c) => s + c / N, 0) / problems.length;
    const pass5 = correct.filter((c) => c > 0).length / problems.length;
    // Under the policy every task has a right answer among its five seeds, so pass@5 = 1 > pass@1.
    expect(pass5).toBeGreaterThan(pass1);

    const report = await gavel(['report', 'he-gen', '--json'], env);
    expect(report.code, report.stderr).toBe(0);
    const figures = JSON.parse(report.stdout);
    expect(figures).toMatchObject({ samples: total, verdicts: total, failed_samples: 0 });
    expect(figures.passed).toBe(correct.reduce((s, c) => s + c, 0));
    expect(figures.generation).toMatchObject({ completions: total, truncated: cut, n: 5, temperature: 0.8 });
    const at = (k: number) => figures.generation.pass_at_k.find((p: { k: number }) => p.k === k);
    expect(at(1).value).toBeCloseTo(pass1, 12);
    expect(at(5).value).toBeCloseTo(pass5, 12);
    expect(at(1).tasks).toBe(P);
    const text = await gavel(['report', 'he-gen'], env);
    expect(text.stdout).toContain(`pass@1: ${pass1.toFixed(4)} over ${P} tasks`);
    expect(text.stdout).toContain(`pass@5: ${pass5.toFixed(4)} over ${P} tasks`);
    expect(text.stdout).toMatch(new RegExp(`${total} completions, ${cut} cut by the token limit`));

    // The export carries each completion's slot, finish reason and usage; a cut one is flagged.
    const out = join(dir, 'he-gen.jsonl');
    expect((await gavel(['export', 'he-gen', '--out', out], env)).code).toBe(0);
    const records = (await readFile(out, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => ExportRecord.parse(JSON.parse(l)));
    expect(records).toHaveLength(total);
    for (const r of records) {
      const t = Number(r.task_id?.split('/')[1]);
      const slot = r.generation?.slot;
      expect(slot).toBeDefined();
      const outcome = humanEvalOutcome(t, slot?.seed ?? -1);
      expect(r.verdict?.pass, `${r.sample_id}: ${outcome}`).toBe(outcome === 'correct');
      expect(r.generation?.completion?.truncated).toBe(outcome === 'cut');
      expect(r.generation?.completion?.finish_reason).toBe(outcome === 'cut' ? 'length' : 'stop');
      expect(r.generation?.completion?.usage?.completion_tokens).toBeGreaterThan(0);
    }
    expect(containersLeftBy(workers.output())).toEqual([]);
  });
});
