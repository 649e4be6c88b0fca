import { afterAll, describe, expect, it } from 'vitest';
import { closeOpenRigs } from './chaos-rig.ts';
import { type ChaosRow, chaosTable, runScenario } from './chaos-run.ts';
import { type ChaosForm, SCENARIOS } from './scenarios.ts';

/**
 * The chaos suite: a mixed run (text samples, and code samples in the real Docker sandbox) with the
 * LLM judge (vLLM fake) and the Batches arbiter (fake), every stage a real worker process, and one
 * fault injected per scenario. Each scenario prints its row; any lost or double-decided sample fails.
 * `npm test` runs the bounded form; `npm run chaos` (CHAOS_FORM=long) the long one.
 */
const LONG = process.env.CHAOS_FORM === 'long';
const FORM: ChaosForm = LONG
  ? { name: 'long', text: 1_984, code: 16, judgeDownMs: 30_000, fullMs: 20_000 }
  : { name: 'bounded', text: 116, code: 4, judgeDownMs: 8_000, fullMs: 5_000 };
const rows: ChaosRow[] = [];

afterAll(async () => {
  // A scenario that timed out leaves its processes; stop them.
  await closeOpenRigs();
  if (rows.length > 0) process.stdout.write(`\n${chaosTable(FORM, rows)}\n`);
});

describe(`chaos (${FORM.name})`, () => {
  for (const scenario of SCENARIOS) {
    it(`${scenario.id}: ${scenario.fault} — no sample lost, none decided twice`, {
      timeout: LONG ? 900_000 : 480_000,
    }, async () => {
      const row = await runScenario(scenario, FORM, LONG ? 780_000 : 400_000);
      rows.push(row);
      process.stdout.write(`\n${chaosTable(FORM, [row])}\n`);
      expect(row.lost, `${row.lost} sample(s) lost: ${row.undecided.join(', ')}`).toBe(0);
      expect(
        row.unfinished,
        `${row.unfinished} sample(s) still in progress at the deadline: ${row.undecided.join(', ')}`,
      ).toBe(0);
      expect(row.twice, 'samples decided twice').toEqual([]);
      expect(row.verdicts + row.failed).toBe(row.samples);
      // The fault struck work in progress, and no fault became a wrong fact about a code sample.
      expect(row.caught).toBeGreaterThan(0);
      // The arbiter stages took part: some samples were contested and went through a batch.
      expect(row.routed).toBeGreaterThan(0);
      expect(row.wrongFacts).toEqual([]);
      // MONITOR saw the verdict writes (the witness of "decided twice" was watching).
      expect(row.verdictWriteAttempts).toBeGreaterThan(row.samples / 2);
    });
  }
});
