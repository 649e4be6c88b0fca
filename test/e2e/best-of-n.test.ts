import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPairRequest, pairPolicy } from '../fakes/fake-judge-policy.ts';
import { type FakeVllm, startFakeVllm } from '../fakes/vllm-server.ts';
import { launchChromium } from '../support/chromium.ts';
import { gavel, jsonl, startWorkers } from '../support/gavel.ts';
import { type RedisServer, startRedis } from '../support/redis.ts';

let redis: RedisServer;
let vllm: FakeVllm;
let dir: string;

beforeAll(async () => {
  redis = await startRedis();
  // Pointwise: the facts policy (text-answer: 0.6·F1 + 0.2·exact match + 0.2). Pairwise: this judge
  // prefers the answer said with an exclamation mark, whichever position it stands in.
  vllm = await startFakeVllm({
    model: 'judge-model',
    policy: pairPolicy((first, second) =>
      first.includes('!') === second.includes('!') ? 'tie' : first.includes('!') ? 'output_1' : 'output_2',
    ),
  });
  dir = await mkdtemp(join(tmpdir(), 'gavel-bon-e2e-'));
});

afterAll(async () => {
  await vllm.stop();
  await redis.stop();
  await rm(dir, { recursive: true, force: true });
});

const sut = (model: string) => ({ model, family: 'acme' });

describe('kind: candidates through enqueue, the workers and gavel best-of-n', () => {
  it('ranks candidates by score, settles close top ones by a two-order pairwise tournament, and writes the choice', async () => {
    const env = {
      GAVEL_REDIS_URL: redis.url,
      GAVEL_DATA_DIR: dir,
      GAVEL_LOG_LEVEL: 'warn',
      GAVEL_JUDGE: 'vllm',
      GAVEL_JUDGE_URL: vllm.url,
      GAVEL_JUDGE_MODEL: 'judge-model',
      GAVEL_JUDGE_FAMILY: 'judgefam',
    };
    const rows = [
      // Paris. and Paris! both normalise to the reference (score 1); Lyon scores 0.2: a tournament of two.
      {
        id: 'fr',
        kind: 'candidates',
        prompt: 'Capital of France?',
        reference: 'Paris',
        candidates: [
          { output: 'Paris.', sut: sut('m1') },
          { output: 'Paris!', sut: sut('m2') },
          { output: 'Lyon', sut: sut('m3') },
        ],
      },
      // Rome scores 1, Milan 0.2, "Rome, Italy" 0.6 (F1 2/3): a clear winner, no tournament.
      {
        id: 'it',
        kind: 'candidates',
        prompt: 'Capital of Italy?',
        reference: 'Rome',
        candidates: [
          { output: 'Milan', sut: sut('m1') },
          { output: 'Rome', sut: sut('m2') },
          { output: 'Rome, Italy', sut: sut('m3') },
        ],
      },
      // Three at score 1; --top 2 keeps the first two by rank (order of appearance).
      {
        id: 'jp',
        kind: 'candidates',
        prompt: 'Capital of Japan?',
        reference: 'Tokyo',
        candidates: [
          { output: 'Tokyo', sut: sut('m1') },
          { output: 'Tokyo.', sut: sut('m2') },
          { output: 'Tokyo!', sut: sut('m3') },
        ],
      },
    ];
    const file = join(dir, 'candidates.jsonl');
    await writeFile(file, jsonl(rows));
    const bad = join(dir, 'bad.jsonl');
    await writeFile(
      bad,
      jsonl([{ id: 'x', kind: 'candidates', prompt: 'p', candidates: [{ output: 'o', sut: sut('m') }] }]),
    );
    const refused = await gavel(['enqueue', bad, '--run', 'bad'], env);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('bad.jsonl:1: candidates: at least two candidates');

    const enqueued = await gavel(['enqueue', file, '--run', 'cands'], env);
    expect(enqueued.code, enqueued.stderr).toBe(0);
    const workers = startWorkers(env);
    try {
      const waited = await gavel(['wait', 'cands', '--timeout', '120'], env);
      expect(waited.code, waited.stderr + workers.output()).toBe(0);
      const before = vllm.completions.length;
      const bon = await gavel(['best-of-n', 'cands', '--top', '2', '--timeout', '120'], env, 180_000);
      expect(bon.code, bon.stderr + workers.output()).toBe(0);
      // Two matches (fr: c1–c2, jp: c1–c2), each judged in both orders: four pairwise requests.
      const tournament = vllm.completions.slice(before).filter((c) => isPairRequest(c.messages[1]?.content ?? ''));
      expect(tournament).toHaveLength(4);

      const choices = (await readFile(join(dir, 'best-of-n', 'cands.jsonl'), 'utf8'))
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      const by = Object.fromEntries(choices.map((c) => [c.task_id, c]));
      expect(Object.keys(by).sort()).toEqual(['fr', 'it', 'jp']);
      expect(by.fr.ranking.map((r: { sample_id: string; score: number }) => [r.sample_id, r.score])).toEqual([
        ['fr-c1', 1],
        ['fr-c2', 1],
        ['fr-c3', 0.2],
      ]);
      expect(by.fr).toMatchObject({
        contenders: ['fr-c1', 'fr-c2'],
        tournament: [{ a: 'fr-c1', b: 'fr-c2', outcome: 'b' }],
        points: { 'fr-c1': 0, 'fr-c2': 1 },
        chosen: { sample_id: 'fr-c2', system: 'm2', rank: 2 },
        decided_by: 'tournament',
      });
      expect(by.it).toMatchObject({
        contenders: ['it-c2'],
        tournament: [],
        chosen: { sample_id: 'it-c2' },
        decided_by: 'pointwise',
      });
      expect(by.it.ranking.map((r: { score: number }) => r.score)).toEqual([1, expect.closeTo(0.6, 9), 0.2]);
      expect(by.jp).toMatchObject({
        contenders: ['jp-c1', 'jp-c2'],
        tournament: [{ a: 'jp-c1', b: 'jp-c2', outcome: 'tie' }],
        points: { 'jp-c1': 0.5, 'jp-c2': 0.5 },
        chosen: { sample_id: 'jp-c1', rank: 1 },
        decided_by: 'tournament',
      });
      expect(bon.stdout).toContain('fr: fr-c2 (m2, score 1.000, rank 2) — tournament over 2 contenders');

      // gavel report: the choices, how each was made and the tournament's outcomes (by hand from the above:
      // fr and jp by the tournament, it by score; fr's match won by the lower-ranked c2, jp's a tie).
      const report = await gavel(['report', 'cands'], env);
      expect(report.code, report.stderr).toBe(0);
      expect(report.stdout).toContain(
        'best-of-n (margin 0.1, top 2, tournament run cands-tournament): 3 task(s), 2 decided by the tournament, 1 by pointwise score, 0 without a candidate',
      );
      expect(report.stdout).toContain(
        // m1 for jp and m2 for both fr and it: m2 2, m1 1.
        'tournament matches: 2 (better-ranked won 0, other won 1, tie 1, inconsistent 0, missing 0); chosen by system: m2 2, m1 1',
      );
      expect(report.stdout).toContain('fr: fr-c2 (m2, score 1.000, rank 2) by tournament; points fr-c1 0, fr-c2 1');
      expect(report.stdout).toContain('it: it-c2 (m2, score 1.000, rank 1) by pointwise');

      // gavel export: each candidate's side of its task's choice.
      const exported = await gavel(['export', 'cands'], env);
      const rec = Object.fromEntries(
        exported.stdout
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l))
          .map((r) => [r.sample_id, r.best_of_n]),
      );
      expect(rec['fr-c2']).toEqual({
        rank: 2,
        score: 1,
        contender: true,
        points: 1,
        chosen: true,
        decided_by: 'tournament',
        matches: [{ opponent: 'fr-c1', result: 'win' }],
        tournament_run: 'cands-tournament',
      });
      expect(rec['fr-c1']).toMatchObject({
        rank: 1,
        points: 0,
        chosen: false,
        matches: [{ opponent: 'fr-c2', result: 'loss' }],
      });
      expect(rec['fr-c3']).toMatchObject({
        rank: 3,
        score: 0.2,
        contender: false,
        points: null,
        chosen: false,
        matches: [],
      });
      expect(rec['jp-c1']).toMatchObject({
        chosen: true,
        points: 0.5,
        matches: [{ opponent: 'jp-c2', result: 'tie' }],
      });
      expect(rec['jp-c3']).toMatchObject({ rank: 3, contender: false, chosen: false });
      const csv = await gavel(['export', 'cands', '--format', 'csv'], env);
      const [header, ...lines] = csv.stdout.trim().split('\r\n');
      expect(header?.endsWith(',bon_rank,bon_points,bon_choice')).toBe(true);
      expect(lines.find((l) => l.includes(',fr-c2,'))?.endsWith(',2,1,chosen')).toBe(true);
      expect(lines.find((l) => l.includes(',fr-c1,'))?.endsWith(',1,0,contender')).toBe(true);

      // The review matrix: the columns, and the candidate's detail in headless Chromium.
      const html = join(dir, 'cands.html');
      const review = await gavel(['review', 'cands', '--out', html], env);
      expect(review.code, review.stderr).toBe(0);
      const browser = await launchChromium();
      try {
        const page = await browser.context.newPage();
        await page.goto(`${pathToFileURL(html).href}#sample=fr-c2`);
        await page.waitForSelector('#detail:not([hidden])');
        const text = await page.locator('#detail').textContent();
        expect(text).toContain('Best-of-n: chosen');
        expect(text).toContain('tournament points1');
        expect(text).toContain('fr-c1win');
        expect(await page.locator('button[data-col="bon_choice"]').count()).toBe(1);
      } finally {
        await browser.close();
      }
    } finally {
      await workers.stop();
    }
  });
});
