import { loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { gavel } from '../support/gavel.ts';
import { failureReasons, type Rig, startRig } from './chaos-rig.ts';
import type { ChaosForm, Fault, Scenario } from './scenarios.ts';

/** One row of the chaos table. */
export interface ChaosRow {
  scenario: string;
  fault: string;
  samples: number;
  verdicts: number;
  /** Samples with neither a verdict nor a failure at the end, and no job that would still move them on. */
  lost: number;
  /** Samples with neither a verdict nor a failure at the deadline that still have a live job (a stuck or slow run). */
  unfinished: number;
  /** The lost and unfinished samples with their jobs (`stage:state`), for the report of a failure. */
  undecided: string[];
  /** Samples with more than one distinct final verdict written (MONITOR ∪ AOF). */
  decidedTwice: number;
  /** HSETNX attempts on the verdicts hash seen by MONITOR (refused ones included). */
  verdictWriteAttempts: number;
  failed: number;
  /** `stage/code: reason` → count. */
  reasons: Record<string, number>;
  /** Samples given a job again by `gavel reconcile` (run once if the run stood still with samples no job moves on). */
  reconciled: number;
  /** Longest time from a fault to full recovery: every sample in flight when it struck has ended, and verdicts flow again. */
  recoveryS: number;
  /** The fault whose recovery took longest. */
  worst: string;
  /** Samples in flight (an active job) when the faults struck, summed over the faults. */
  caught: number;
  /** Jobs BullMQ found stalled and moved back. */
  stalled: number;
  /** Code samples whose recorded test outcome is wrong (a fault turned into a fact). */
  wrongFacts: string[];
  runS: number;
  /** The machine's 1-minute load average at the end (timings depend on it; the CI machine has 2 cores). */
  load: number;
  routed: number;
  arbitrated: number;
  /** Samples decided twice, and their distinct verdicts' count (for the report of a failure). */
  twice: string[];
}

/** Polls until `fault` has been recovered from; resolves with the time since it struck. */
async function recovery(rig: Rig, fault: Fault): Promise<number> {
  for (;;) {
    const pending = await rig.undecided(fault.inFlight);
    const ended = await rig.ended();
    const flowing = (await rig.verdictCount()) > fault.verdictsAtLift || ended >= rig.total;
    if (pending.length === 0 && flowing) return Date.now() - fault.at;
    await sleep(100);
  }
}

/** Runs a mixed run under one scenario's fault(s) and measures what it cost. */
export async function runScenario(scenario: Scenario, form: ChaosForm, deadlineMs: number): Promise<ChaosRow> {
  const rig = await startRig({ id: scenario.id, text: form.text, code: form.code, ...scenario.rig });
  const started = Date.now();
  try {
    const startAt = Math.floor(rig.total * scenario.startAt);
    while ((await rig.ended()) < startAt) {
      if (Date.now() - started > deadlineMs) throw new Error(`the run never reached ${startAt} ended samples`);
      await sleep(50);
    }
    const recoveries: Promise<number>[] = [];
    const faults = await scenario.inject(rig, form);
    for (const f of faults) recoveries.push(recovery(rig, f));
    // To the end; a run standing still with samples that no job moves on gets one `gavel reconcile`.
    let reconciled = 0;
    let last = -1;
    let stillSince = Date.now();
    for (;;) {
      const ended = await rig.ended();
      if (ended >= rig.total) break;
      if (ended !== last) {
        last = ended;
        stillSince = Date.now();
      } else if (Date.now() - stillSince > 30_000 && reconciled === 0) {
        const out = await gavel(['reconcile', rig.runId, '--json'], { GAVEL_REDIS_URL: rig.redis.url });
        const restored = JSON.parse(out.stdout || '{}').restored ?? {};
        reconciled = Object.values(restored as Record<string, number>).reduce((a, b) => a + b, 0) || -1;
        stillSince = Date.now();
      }
      if (Date.now() - started > deadlineMs) break;
      await sleep(200);
    }
    const runS = (Date.now() - started) / 1000;
    const times = await Promise.race([Promise.all(recoveries), sleep(5_000).then(() => [] as number[])]);
    const recoveryMs = times.length === faults.length ? Math.max(...times) : Number.NaN;
    const worst = faults[times.indexOf(recoveryMs)]?.what ?? 'not recovered';
    const stalled = await rig.stalled();
    const wrongFacts = await rig.wrongCodeFacts();
    const progress = await rig.store.progress(rig.runId);
    const failures = await rig.store.getFailures(rig.runId);
    const ids = await rig.store.sampleIds(rig.runId);
    const open = await rig.undecided(ids);
    const jobs = open.length > 0 ? await rig.jobStates() : new Map<string, string[]>();
    const live = /:(waiting|active|delayed|prioritized|waiting-children)$/;
    const lost = open.filter((id) => !(jobs.get(id) ?? []).some((j) => live.test(j))).length;
    await rig.workers.stop();
    await rig.writes.detach();
    const decisions = rig.writes.decisions();
    const twice = [...decisions].filter(([, set]) => set.size > 1).map(([id, set]) => `${id}×${set.size}`);
    return {
      scenario: scenario.id,
      fault: scenario.fault,
      samples: rig.total,
      verdicts: progress.verdicts,
      lost,
      unfinished: open.length - lost,
      undecided: open.map((id) => `${id} [${(jobs.get(id) ?? []).join(' ')}]`),
      decidedTwice: twice.length,
      verdictWriteAttempts: rig.writes.attempts(),
      failed: failures.size,
      routed: progress.routed,
      arbitrated: progress.arbitrated,
      reasons: Object.fromEntries(failureReasons(failures)),
      reconciled: Math.max(0, reconciled),
      recoveryS: Math.round(recoveryMs / 100) / 10,
      worst,
      caught: faults.reduce((n, f) => n + f.inFlight.length, 0),
      stalled,
      wrongFacts,
      runS: Math.round(runS * 10) / 10,
      load: Math.round((loadavg()[0] ?? 0) * 10) / 10,
      twice,
    };
  } catch (error) {
    process.stderr.write(`\n--- ${scenario.id}: worker output (tail) ---\n${rig.output().slice(-6000)}\n`);
    throw error;
  } finally {
    await rig.close();
  }
}

/** The chaos table as Markdown (README's "what each fault costs"). */
export function chaosTable(form: ChaosForm, rows: readonly ChaosRow[]): string {
  const head = [
    `chaos table (${form.name}: ${form.text} text + ${form.code} code samples per scenario)`,
    '',
    '| scenario | fault | samples (routed to arbiter) | lost | decided twice | failed (reasons) | in flight at fault | stalled jobs | reconciled | recovery s (slowest fault) | run s | load |',
    '|---|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|',
  ];
  const lines = rows.map((r) => {
    const reasons = Object.entries(r.reasons)
      .map(([k, n]) => `${n}× ${k}`)
      .join('; ');
    return `| ${r.scenario} | ${r.fault} | ${r.samples} (${r.routed}) | ${r.lost}${r.unfinished ? ` (+${r.unfinished} unfinished)` : ''} | ${r.decidedTwice} | ${r.failed}${reasons ? ` (${reasons})` : ''} | ${r.caught} | ${r.stalled} | ${r.reconciled} | ${r.recoveryS} (${r.worst}) | ${r.runS} | ${r.load} |`;
  });
  return [...head, ...lines].join('\n');
}
