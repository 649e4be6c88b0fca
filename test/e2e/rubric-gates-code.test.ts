import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { factsPolicy, type JudgePolicy } from '../fakes/fake-judge-policy.ts';
import { type FakeVllm, startFakeVllm } from '../fakes/vllm-server.ts';
import { sandboxImage } from '../integration/sandbox-fixtures.ts';
import { type CliResult, gavel, ROOT, startWorkers, type WorkersProcess } from '../support/gavel.ts';
import { type RedisServer, startRedis } from '../support/redis.ts';

// The four gates on code, through the real pipeline: `gavel workers` with the Docker sandbox and an LLM
// judge (a vLLM-shaped fake), the shipped HumanEval calibration set (20 canonical solutions labelled
// good; 10 wrong and 10 mutated ones labelled bad) and the shipped code attack suite (14 attacks).
// Three checks run at once on the same workers: code-correctness@1.1.0 facts-only, the same with the
// LLM judge, and a draft that only scores the exit code (facts-only).

const CALIBRATION = join(ROOT, 'rubrics', 'calibration', 'code-humaneval.jsonl');
const EXIT_ONLY = `---
id: exit-only
version: 0.1.0
kind: code
title: passes when the program exits 0
pass_threshold: 0.5
criteria:
  - id: exits
    description: The test run exits with status 0.
    weight: 1
    fact: exit.zero
---
# Rubric: exit-only 0.1.0 (a deliberately weak draft)

Pass the program when it exits 0.
`;

/**
 * The fake judge grades like a careful judge: every criterion with a fact from the facts; the one
 * without (spec: "does what the docstring says") as a judge reading the code would, full marks when
 * the tests pass and none when they fail. (With the fake's default policy spec is always 1, and the
 * discriminative gate rightly fails it as constant: see packages/rubric/src/gates/gates.test.ts.)
 */
const readingJudge: JudgePolicy = (request) => {
  const answer = JSON.parse(factsPolicy()(request));
  const facts = /## Facts\n\n```json\n([\s\S]*?)\n```/.exec(request.messages[1]?.content ?? '')?.[1];
  const tests = facts ? JSON.parse(facts).tests : null;
  if (answer.criteria.spec) {
    const ok = tests && tests.passed === Math.max(tests.expected, tests.total) && tests.total > 0;
    answer.criteria.spec = { score: ok ? 1 : 0, finding: ok ? null : 'does not do what the docstring says' };
  }
  return JSON.stringify(answer);
};

let redis: RedisServer;
let vllm: FakeVllm;
let dir: string;
let workers: WorkersProcess;
let factsEnv: NodeJS.ProcessEnv;
let llmEnv: NodeJS.ProcessEnv;
// biome-ignore lint/suspicious/noExplicitAny: the gate report is read field by field, as a user would
const results = new Map<string, { cli: CliResult; report: any }>();

beforeAll(async () => {
  redis = await startRedis();
  vllm = await startFakeVllm({ model: 'judge-model', policy: readingJudge });
  dir = await mkdtemp(join(tmpdir(), 'gavel-gates-code-'));
  const base = {
    GAVEL_REDIS_URL: redis.url,
    GAVEL_LOG_LEVEL: 'warn',
    GAVEL_SANDBOX: 'docker',
    GAVEL_SANDBOX_IMAGE: sandboxImage(),
    GAVEL_SANDBOX_CONCURRENCY: '2',
  };
  factsEnv = { ...base, GAVEL_JUDGE: 'facts' };
  llmEnv = {
    ...base,
    GAVEL_JUDGE: 'vllm',
    GAVEL_JUDGE_URL: vllm.url,
    GAVEL_JUDGE_MODEL: 'judge-model',
    GAVEL_JUDGE_FAMILY: 'judgefam',
    GAVEL_JUDGE_K: '2',
  };
  // LLM workers grade each run by the judge the run pinned: the facts-only runs by the facts.
  workers = startWorkers(llmEnv);
  const draft = join(dir, 'exit-only.md');
  await writeFile(draft, EXIT_ONLY);
  const check = async (name: string, args: string[], env: NodeJS.ProcessEnv) => {
    const out = join(dir, `${name}.json`);
    const cli = await gavel(
      ['rubric', 'check', ...args, '--calibration', CALIBRATION, '--out', out, '--timeout', '1500'],
      env,
      1_600_000,
    );
    results.set(name, { cli, report: JSON.parse(await readFile(out, 'utf8')) });
  };
  await Promise.all([
    check('facts', ['code-correctness@1.1.0'], factsEnv),
    check('llm', ['code-correctness@1.1.0'], llmEnv),
    check('exit-only', ['--rubric-file', draft], factsEnv),
  ]);
}, 1_700_000);

afterAll(async () => {
  await workers?.stop();
  await vllm?.stop();
  await redis?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function expectAllFourPassed(name: string) {
  const { cli, report } = results.get(name) ?? {};
  expect(cli?.code, `${cli?.stdout}\n${cli?.stderr}`).toBe(0);
  expect(cli?.stdout).toMatch(/^all four gates passed$/m);
  const { discriminative: d, adversarial: a, contamination: c, pinned: p } = report.gates;
  // 40 labelled samples: every canonical passes, every wrong and mutated one fails.
  expect(d.confusion).toEqual({ tp: 20, fn: 0, fp: 0, tn: 20 });
  // p_o = 1, p_e = (20·20 + 20·20)/40² = 0.5 → κ = 1; TPR = TNR = 20/20, Wilson lower 20/(20 + z²) = 0.838875.
  expect(d.kappa.kappa).toBe(1);
  expect(d.tpr.ci95[0]).toBeCloseTo(0.838875, 5);
  expect(d.tnr.ci95[0]).toBeCloseTo(0.838875, 5);
  expect(d.pass_rate.value).toBe(0.5);
  expect(a).toMatchObject({ passed: true, n: 14, failed: 14 });
  expect(c.passed).toBe(true);
  // The calibration tasks are HumanEval's own: reported as public, which does not fail the gate.
  expect(c.flagged.filter((f: { set: string }) => f.set === 'calibration')).toHaveLength(20);
  expect(p).toMatchObject({ passed: true, already_frozen: true, earlier: ['1.0.0'] });
  return report;
}

describe('the four gates on the shipped code-correctness rubric and a weak draft', () => {
  it('code-correctness@1.1.0 passes all four gates facts-only', () => {
    const report = expectAllFourPassed('facts');
    expect(report.judge).toMatchObject({ name: 'facts', mode: 'facts' });
    expect(report.gates.discriminative.self_consistency).toBeNull();
    // The hard-coded answers pass every test: the integrity fact is what fails them.
    const hardcoded = report.gates.adversarial.attacks.filter(
      (x: { attack: string }) => x.attack === 'hardcoded-answers',
    );
    expect(hardcoded.map((x: { flags: string[] }) => x.flags)).toEqual([['hardcoded_tests'], ['hardcoded_tests']]);
  });

  it('code-correctness@1.1.0 passes all four gates with the LLM judge (k = 2), self-consistency reported', () => {
    const report = expectAllFourPassed('llm');
    expect(report.judge).toMatchObject({ name: 'vllm:judge-model', mode: 'vllm', k: 2 });
    // 54 samples × (1 + k) requests reached the judge for this run (the facts-only runs sent none).
    expect(vllm.counts.completions).toBe(54 * 3);
    // The fake answers the k extra samples as it answers the first: full agreement, no spread of scores.
    const consistency = report.gates.discriminative.self_consistency;
    expect(consistency).toMatchObject({ samples: 40, mean_agreement: 1 });
    expect(consistency.mean_score_variance).toBeCloseTo(0, 12);
    expect(report.gates.discriminative.criteria.find((c: { id: string }) => c.id === 'spec')).toMatchObject({
      scored: 40,
      distinct: 2,
      constant: false,
    });
  });

  it('a draft that only scores the exit code discriminates, but fails the adversarial gate', () => {
    const { cli, report } = results.get('exit-only') ?? {};
    expect(cli?.code).toBe(1);
    expect(cli?.stderr).toMatch(/^gavel rubric check: adversarial failed$/m);
    expect(report.gates.discriminative.passed).toBe(true);
    const holes = report.gates.adversarial.attacks.filter((x: { verdict: string }) => x.verdict === 'pass');
    expect(holes.map((x: { attack: string }) => x.attack)).toEqual(['hardcoded-answers', 'hardcoded-answers']);
    expect(report.gates.adversarial.reasons).toEqual([
      expect.stringMatching(/^attack hardcoded-answers \(adv0\.hardcoded-answers-4\) passed with score 1\.000$/),
      expect.stringMatching(/^attack hardcoded-answers \(adv0\.hardcoded-answers-5\) passed with score 1\.000$/),
    ]);
    expect(cli?.stdout).toMatch(/^ {5}HOLE hardcoded-answers \(adv0\.hardcoded-answers-4\): pass 1\.000$/m);
  });
});
