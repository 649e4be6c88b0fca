import { createHash } from 'node:crypto';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gavel, jsonl, ROOT, startWorkers, textSample, type WorkersProcess } from '../support/gavel.ts';
import { type RedisServer, startRedis } from '../support/redis.ts';

// The rubric lifecycle on text rubrics (no Docker): a draft whose threshold lets everything pass fails
// the discriminative gate; `gavel rubric freeze` refuses it, listing each failed gate, then accepts the
// fixed version and writes the lock entry and the gate report; a later run's manifest and export carry
// the gate report's hash; `gavel compare` refuses a draft run unless --allow-draft. Every gate runs
// through the real pipeline (Redis, BullMQ, `gavel workers`).

let redis: RedisServer;
let dir: string;
let library: string;
let env: NodeJS.ProcessEnv;
let workers: WorkersProcess;

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const CALIBRATION = join(ROOT, 'rubrics', 'calibration', 'text-qa.jsonl');

beforeAll(async () => {
  redis = await startRedis();
  dir = await mkdtemp(join(tmpdir(), 'gavel-rubric-freeze-'));
  library = join(dir, 'rubrics');
  await cp(join(ROOT, 'rubrics'), library, { recursive: true });
  env = { GAVEL_REDIS_URL: redis.url, GAVEL_LOG_LEVEL: 'warn', GAVEL_JUDGE: 'facts' };
  workers = startWorkers(env, ['--stages', 'sandbox,judge']);
});

afterAll(async () => {
  await workers?.stop();
  await redis?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function writeVersion(version: string, threshold: string): Promise<string> {
  const text = (await readFile(join(library, 'text-answer', '1.0.0.md'), 'utf8'))
    .replace('version: 1.0.0', `version: ${version}`)
    .replace('pass_threshold: 0.6', `pass_threshold: ${threshold}`);
  const path = join(library, 'text-answer', `${version}.md`);
  await writeFile(path, text);
  return path;
}

describe('gavel rubric check and freeze', () => {
  it('a draft whose threshold lets everything pass fails the discriminative gate (κ 0, pass rate 1, TNR 0)', async () => {
    const draft = await writeVersion('1.1.0', '0');
    const out = join(dir, 'all-pass.json');
    const r = await gavel(
      ['rubric', 'check', '--rubric-file', draft, '--calibration', CALIBRATION, '--rubrics-dir', library, '--out', out],
      env,
    );
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toMatch(/^FAIL discriminative: pass rate 1\.000/m);
    expect(r.stderr).toMatch(/gavel rubric check: discriminative, adversarial failed/);
    const report = JSON.parse(await readFile(out, 'utf8'));
    const d = report.gates.discriminative;
    // 16 good + 16 bad, every verdict a pass: p_o = 16/32 = 0.5, p_e = (16·32 + 16·0)/32² = 0.5 → κ = 0.
    expect(d.confusion).toEqual({ tp: 16, fn: 0, fp: 16, tn: 0 });
    expect(d.kappa.kappa).toBe(0);
    expect(d.pass_rate.value).toBe(1);
    expect(d.tnr.value).toBe(0);
    expect(d.reasons).toContain('pass rate 1.000 (32/32) is outside [0.05, 0.95]: nearly everything passes');
    // The shipped text attacks all pass a rubric that passes everything.
    expect(report.gates.adversarial.failed).toBe(0);
    expect(report.gates.adversarial.n).toBe(7);
    expect(report.rubric).toMatchObject({
      id: 'text-answer',
      version: '1.1.0',
      sha256: sha256(await readFile(draft, 'utf8')),
    });
  });

  it('freeze refuses, listing each failed gate; then accepts the fixed bytes and writes lock entry and report', async () => {
    const lockFile = join(library, 'rubrics.lock.json');
    const lockBefore = await readFile(lockFile, 'utf8');
    const refused = await gavel(
      ['rubric', 'freeze', 'text-answer@1.1.0', '--calibration', CALIBRATION, '--rubrics-dir', library],
      env,
    );
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^gavel rubric freeze: refused, 2 gate\(s\) failed:$/m);
    expect(refused.stderr).toMatch(/^ {2}discriminative: pass rate 1\.000 \(32\/32\) is outside/m);
    expect(refused.stderr).toMatch(/^ {2}adversarial: attack prompt-injection \(adv0\.prompt-injection-1\) passed/m);
    expect(await readFile(lockFile, 'utf8')).toBe(lockBefore);

    // Nothing was pinned, so the same version can be fixed in place and frozen.
    const fixed = await writeVersion('1.1.0', '0.6');
    const accepted = await gavel(
      ['rubric', 'freeze', 'text-answer@1.1.0', '--calibration', CALIBRATION, '--rubrics-dir', library],
      env,
    );
    expect(accepted.code, accepted.stderr).toBe(0);
    expect(accepted.stdout).toMatch(/^all four gates passed$/m);
    const reportText = await readFile(join(library, 'text-answer', '1.1.0.gates.json'), 'utf8');
    const report = JSON.parse(reportText);
    const lock = JSON.parse(await readFile(lockFile, 'utf8'));
    const entry = lock['text-answer@1.1.0'];
    expect(entry.sha256).toBe(sha256(await readFile(fixed, 'utf8')));
    expect(entry.gate_report_sha256).toBe(sha256(reportText));
    expect(entry.gates).toMatchObject({
      calibration_sha256: sha256(await readFile(CALIBRATION, 'utf8')),
      pass_rate: 0.5,
      kappa: 1,
      tpr: 1,
      tnr: 1,
      adversarial: '7/7 failed',
      judge: 'facts',
    });
    expect(report.passed).toBe(true);
    expect(report.gates.pinned.earlier).toEqual(['1.0.0']);
    // Other entries untouched.
    expect(lock['text-answer@1.0.0']).toEqual(JSON.parse(lockBefore)['text-answer@1.0.0']);

    // A later run: its manifest and every export record carry state frozen and the gate report hash.
    const data = join(dir, 'later.jsonl');
    await writeFile(data, jsonl(Array.from({ length: 3 }, (_, i) => textSample(i))));
    const enq = await gavel(
      ['enqueue', data, '--run', 'run-frozen', '--rubric', 'text-answer@1.1.0', '--rubrics-dir', library],
      env,
    );
    expect(enq.code, enq.stderr).toBe(0);
    expect((await gavel(['wait', 'run-frozen', '--timeout', '120'], env)).code).toBe(0);
    const exported = join(dir, 'frozen.jsonl');
    expect((await gavel(['export', 'run-frozen', '--out', exported], env)).code).toBe(0);
    const manifest = JSON.parse(await readFile(`${exported}.manifest.json`, 'utf8'));
    expect(manifest.rubrics.text).toEqual({
      id: 'text-answer',
      version: '1.1.0',
      hash: entry.sha256,
      state: 'frozen',
      gate_report_sha256: entry.gate_report_sha256,
    });
    const records = (await readFile(exported, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(records.map((r) => r.rubric.gate_report_sha256)).toEqual([
      entry.gate_report_sha256,
      entry.gate_report_sha256,
      entry.gate_report_sha256,
    ]);

    // Editing the frozen bytes now is refused at load, naming the fix.
    await writeFile(fixed, `${await readFile(fixed, 'utf8')}\nOne more rule.\n`);
    const edited = await gavel(
      ['enqueue', data, '--run', 'run-edited', '--rubric', 'text-answer@1.1.0', '--rubrics-dir', library],
      env,
    );
    expect(edited.code).toBe(1);
    expect(edited.stderr).toMatch(
      /text-answer@1\.1\.0: content hash [0-9a-f]{12}… does not match the lock file .* bump its version/,
    );
  });

  it('a draft run is marked draft, and gavel compare refuses it unless --allow-draft', async () => {
    const draft = join(dir, 'draft-text.md');
    await writeFile(
      draft,
      (await readFile(join(library, 'text-answer', '1.0.0.md'), 'utf8')).replace('version: 1.0.0', 'version: 2.0.0'),
    );
    const data = join(dir, 'pair.jsonl');
    await writeFile(data, jsonl(Array.from({ length: 4 }, (_, i) => textSample(i))));
    for (const [run, args] of [
      ['run-base', []],
      ['run-draft', ['--rubric-file', draft]],
    ] as const) {
      const r = await gavel(['enqueue', data, '--run', run, ...args], env);
      expect(r.code, r.stderr).toBe(0);
      expect((await gavel(['wait', run, '--timeout', '120'], env)).code).toBe(0);
    }
    const exported = join(dir, 'draft.jsonl');
    expect((await gavel(['export', 'run-draft', '--out', exported], env)).code).toBe(0);
    const manifest = JSON.parse(await readFile(`${exported}.manifest.json`, 'utf8'));
    expect(manifest.rubrics.text).toMatchObject({ version: '2.0.0', state: 'draft', gate_report_sha256: null });
    const refused = await gavel(['compare', 'run-base', 'run-draft', '--allow-rubric-change'], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      'gavel compare: run-draft was graded on draft rubric text-answer@2.0.0 (not frozen through the gates); freeze it with gavel rubric freeze, or pass --allow-draft\n',
    );
    const fromExport = await gavel(['compare', exported, exported, '--from-export'], env);
    expect(fromExport.code).toBe(1);
    expect(fromExport.stderr).toMatch(/was graded on draft rubric text-answer@2\.0\.0/);
    const allowed = await gavel(
      ['compare', 'run-base', 'run-draft', '--allow-rubric-change', '--allow-draft', '--json'],
      env,
    );
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(JSON.parse(allowed.stdout).like_for_like).toBe(false);
  });
});
