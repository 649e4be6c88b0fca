import { createHash } from 'node:crypto';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRubric } from '@gavel/rubric';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { factsPolicy, firstPositionPolicy, pairPolicy } from '../fakes/fake-judge-policy.ts';
import { type FakeVllm, startFakeVllm } from '../fakes/vllm-server.ts';
import { type CliResult, gavel, ROOT, startWorkers, type WorkersProcess } from '../support/gavel.ts';
import { type RedisServer, startRedis } from '../support/redis.ts';

// The four gates on the pair rubric pairwise-preference@1.0.0, through the real pipeline (`gavel
// workers`, an LLM judge behind a vLLM-shaped fake): the shipped calibration pairs (24, the better
// side labelled; it is A in 12 and B in 12, and the longer output in 6 of each) and the shipped pair
// attacks (8: the worse side is longer, more confident, claims to be correct or asks to win; the bait
// on A in 4, on B in 4). A judge that reads the facts (the higher reference F1 wins) passes all four
// gates and the rubric is frozen through them; a judge that always prefers the first output, and one
// that always prefers the longer output, fail them.

const CALIBRATION = join(ROOT, 'rubrics', 'calibration', 'pairs-qa.jsonl');
const Z2 = 1.959963984540054 ** 2;
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

let redis: RedisServer;
let vllm: FakeVllm;
let dir: string;
let library: string;
let env: NodeJS.ProcessEnv;
let workers: WorkersProcess;

beforeAll(async () => {
  redis = await startRedis();
  vllm = await startFakeVllm({ model: 'judge-model', policy: factsPolicy() });
  dir = await mkdtemp(join(tmpdir(), 'gavel-pair-gates-'));
  library = join(dir, 'rubrics');
  await cp(join(ROOT, 'rubrics'), library, { recursive: true });
  env = {
    GAVEL_REDIS_URL: redis.url,
    GAVEL_LOG_LEVEL: 'warn',
    GAVEL_JUDGE: 'vllm',
    GAVEL_JUDGE_URL: vllm.url,
    GAVEL_JUDGE_MODEL: 'judge-model',
    GAVEL_JUDGE_FAMILY: 'judgefam',
  };
  workers = startWorkers(env);
});

afterAll(async () => {
  await workers?.stop();
  await vllm?.stop();
  await redis?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

// biome-ignore lint/suspicious/noExplicitAny: the gate report is read field by field, as a user would
async function check(name: string): Promise<{ cli: CliResult; report: any }> {
  const out = join(dir, `${name}.json`);
  const cli = await gavel(
    [
      'rubric',
      'check',
      'pairwise-preference@1.0.0',
      '--calibration',
      CALIBRATION,
      '--rubrics-dir',
      library,
      '--out',
      out,
      '--timeout',
      '120',
    ],
    env,
    180_000,
  );
  return { cli, report: JSON.parse(await readFile(out, 'utf8')) };
}

describe('gavel rubric check and freeze on a pair rubric', () => {
  it('a judge that follows the facts passes all four pairwise gates; freeze writes the report and the lock entry', async () => {
    const { cli, report } = await check('facts-judge');
    expect(cli.code, cli.stderr + workers.output()).toBe(0);
    expect(cli.stdout).toMatch(/^PASS discriminative \(pairwise\): agreement with the labels 1\.000 \(24\/24\)/m);
    // Exactly two judge requests per pair, 24 calibration + 8 attack pairs.
    expect(vllm.counts.completions).toBe(2 * 32);
    const d = report.gates.discriminative;
    expect(d.kind).toBe('pair');
    expect(d.table).toEqual({
      a: { a: 12, b: 0, tie: 0, inconsistent: 0 },
      b: { a: 0, b: 12, tie: 0, inconsistent: 0 },
    });
    // Perfect agreement on 24: p_o = 1, p_e = (12·12 + 12·12)/24² = 0.5, κ = 1. The Wilson lower limit
    // of 24/24 is 24/(24 + z²) = 24/27.841459 = 0.862024, so κ's is (0.862024 − 0.5)/0.5 = 0.724048 (not 1).
    expect(d.kappa.kappa).toBe(1);
    expect(d.kappa.ci95[0]).toBeCloseTo(2 * (24 / (24 + Z2)) - 1, 10);
    expect(d.kappa.ci95[0]).toBeCloseTo(0.724048, 5);
    expect(d.kappa.ci95_wald).toEqual([1, 1]);
    expect(d.position_consistency).toMatchObject({ successes: 24, n: 24, value: 1 });
    expect(d.position_consistency.ci95[0]).toBeCloseTo(24 / (24 + Z2), 10);
    expect(d.side_agreement.a).toMatchObject({ successes: 12, n: 12 });
    expect(d.side_agreement.b).toMatchObject({ successes: 12, n: 12 });
    expect(d.b_preferred).toMatchObject({ successes: 12, n: 24, value: 0.5 });
    const a = report.gates.adversarial;
    expect(a).toMatchObject({ kind: 'pair', passed: true, n: 8, failed: 8 });
    expect(a.attacks.map((x: { attack: string; bait: string }) => `${x.attack}-${x.bait}`)).toEqual([
      'longer-a',
      'longer-b',
      'confident-a',
      'confident-b',
      'claims-correct-a',
      'claims-correct-b',
      'asks-to-win-a',
      'asks-to-win-b',
    ]);
    expect(report.gates.contamination.passed).toBe(true);
    expect(report.gates.pinned).toMatchObject({ passed: true, already_frozen: true });

    const frozen = await gavel(
      [
        'rubric',
        'freeze',
        'pairwise-preference@1.0.0',
        '--calibration',
        CALIBRATION,
        '--rubrics-dir',
        library,
        '--timeout',
        '120',
      ],
      env,
      180_000,
    );
    expect(frozen.code, frozen.stderr).toBe(0);
    const reportText = await readFile(join(library, 'pairwise-preference', '1.0.0.gates.json'), 'utf8');
    const lock = JSON.parse(await readFile(join(library, 'rubrics.lock.json'), 'utf8'));
    expect(lock['pairwise-preference@1.0.0']).toMatchObject({
      sha256: sha256(await readFile(join(library, 'pairwise-preference', '1.0.0.md'), 'utf8')),
      gate_report_sha256: sha256(reportText),
      gates: { kappa: 1, agreement: 1, position_consistency: 1, pass_rate: 0.5, adversarial: '8/8 failed' },
    });
    const loaded = await loadRubric(library, 'pairwise-preference@1.0.0');
    expect(loaded.ref).toMatchObject({ state: 'frozen', gate_report_sha256: sha256(reportText) });
  });

  it('a judge that always prefers the first output fails: every pair inconsistent, every bait preferred in one order', async () => {
    vllm.setPolicy(firstPositionPolicy());
    try {
      const { cli, report } = await check('first-position');
      expect(cli.code).toBe(1);
      expect(cli.stderr).toMatch(/gavel rubric check: discriminative, adversarial failed/);
      const d = report.gates.discriminative;
      expect(d.table).toEqual({
        a: { a: 0, b: 0, tie: 0, inconsistent: 12 },
        b: { a: 0, b: 0, tie: 0, inconsistent: 12 },
      });
      expect(d.position_consistency).toMatchObject({ successes: 0, n: 24 });
      expect(d.reasons).toContain('agreement with the labels 0.000 (0/24) is below 0.8');
      expect(d.reasons).toContain(
        'position consistency 0.000 (0/24 pairs gave the same preference in both orders) is below 0.8',
      );
      // Labels 12 a, 12 b; outcomes all inconsistent: p_o = 0, p_e = 0 → κ = 0.
      expect(d.kappa.kappa).toBe(0);
      expect(report.gates.adversarial).toMatchObject({ passed: false, n: 8, failed: 0 });
      for (const x of report.gates.adversarial.attacks) {
        expect(x).toMatchObject({ outcome: 'inconsistent', verdict: 'preferred bait' });
        expect(x.orders).toContain(x.bait);
      }
    } finally {
      vllm.setPolicy(factsPolicy());
    }
  });

  it('a judge that prefers the longer output fails: half the calibration pairs, and every attack whose bait is longer', async () => {
    vllm.setPolicy(pairPolicy((first, second) => (first.length >= second.length ? 'output_1' : 'output_2')));
    try {
      const { cli, report } = await check('longer');
      expect(cli.code).toBe(1);
      const d = report.gates.discriminative;
      // The better side is the longer one in 6 of the 12 A-better and 6 of the 12 B-better pairs.
      expect(d.table).toEqual({
        a: { a: 6, b: 6, tie: 0, inconsistent: 0 },
        b: { a: 6, b: 6, tie: 0, inconsistent: 0 },
      });
      expect(d.position_consistency).toMatchObject({ successes: 24, n: 24 });
      // p_o = 12/24, p_e = (12·12 + 12·12)/24² = 0.5 → κ = 0.
      expect(d.kappa.kappa).toBe(0);
      expect(d.reasons).toContain("Cohen's κ 0.000 is below 0.6");
      // Every bait is longer than the short right answer beside it.
      const a = report.gates.adversarial;
      expect(a).toMatchObject({ passed: false, n: 8, failed: 0 });
      expect(a.reasons[0]).toBe('attack longer (adv0.longer-a): the bait side A was preferred (outcome a, orders a/a)');
    } finally {
      vllm.setPolicy(factsPolicy());
    }
  });
});
