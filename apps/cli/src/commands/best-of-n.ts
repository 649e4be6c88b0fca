import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadBaseConfig, type PairSample } from '@gavel/core';
import {
  type BestOfNOptions,
  type Candidate,
  chooseBestOfN,
  type ExportRecord,
  type MatchOutcome,
  planBestOfN,
} from '@gavel/report';
import { abPairSample, saveBestOfN } from '@gavel/runs';
import { CliError } from '../cli-error.ts';
import { openContext } from '../context.ts';
import { loadRunRecords } from '../run-records-source.ts';
import { type EnqueueOptions, enqueueCommand } from './enqueue.ts';
import { waitCommand } from './wait.ts';

export interface BestOfNCommandOptions extends BestOfNOptions, Pick<EnqueueOptions, 'rubric' | 'rubricsDir'> {
  out?: string;
  timeout?: number;
}

/** The tournament's pair id of two candidates (what abPairSample names it). */
function matchId(a: string, b: string): string {
  return `${a}-vs-${b}`;
}

/**
 * `gavel best-of-n RUN`: for each task of a graded pointwise run (a `candidates` line makes one
 * task of N samples), rank the candidates by score; where the top ones are within `--margin`, judge
 * them pairwise in both orders — a tournament run `RUN-tournament`, enqueued and waited for (the
 * stage workers must be running) — and write the best-of-n choice per task as JSONL, and with the run
 * (what `gavel report`, `export` and `review` show).
 */
export async function bestOfNCommand(runId: string, options: BestOfNCommandOptions): Promise<void> {
  const context = openContext();
  const tournamentRun = `${runId}-tournament`;
  const out = options.out ?? join(loadBaseConfig(process.env).GAVEL_DATA_DIR, 'best-of-n', `${runId}.jsonl`);
  let plans: { task: string; plan: ReturnType<typeof planBestOfN> }[];
  const pairs: PairSample[] = [];
  try {
    if (!(await context.store.findManifest(runId)))
      throw new CliError(`gavel best-of-n: no run ${runId} (see gavel runs)`, 1);
    const { records } = await loadRunRecords(context, runId);
    const byTask = new Map<string, ExportRecord[]>();
    for (const r of records) {
      if (r.kind === 'pair')
        throw new CliError(`gavel best-of-n: ${runId} must be a pointwise run (sample ${r.sample_id} is a pair)`, 1);
      if (r.task_id === null) continue;
      byTask.set(r.task_id, [...(byTask.get(r.task_id) ?? []), r]);
    }
    plans = [...byTask]
      .filter(([, rs]) => rs.length >= 2)
      .map(([task, rs]) => {
        const candidates: Candidate[] = rs.map((r) => ({
          sample_id: r.sample_id,
          system: r.sut.model,
          score: r.status === 'verdict' && r.verdict ? r.verdict.score : null,
        }));
        return { task, plan: planBestOfN(candidates, options) };
      });
    if (plans.length === 0) throw new CliError(`gavel best-of-n: run ${runId} has no task with two or more samples`, 1);
    const facts = new Map(records.map((r) => [r.sample_id, r.facts]));
    for (const { plan } of plans) {
      for (const m of plan.matches) {
        const [a, b] = await Promise.all([context.store.getSample(runId, m.a), context.store.getSample(runId, m.b)]);
        if (a.kind === 'pair' || b.kind === 'pair') continue;
        pairs.push(abPairSample(a, b, { base: facts.get(m.a) ?? null, candidate: facts.get(m.b) ?? null }));
      }
    }
  } finally {
    await context.close();
  }
  const outcomes = new Map<string, MatchOutcome>();
  if (pairs.length > 0) {
    const dir = join(loadBaseConfig(process.env).GAVEL_DATA_DIR, 'best-of-n');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `${tournamentRun}.jsonl`);
    writeFileSync(file, `${pairs.map((p) => JSON.stringify(p)).join('\n')}\n`);
    process.stderr.write(
      `gavel best-of-n: ${pairs.length} tournament pair(s) of close top candidates written to ${file}\n`,
    );
    await enqueueCommand([file], {
      format: 'jsonl',
      run: tournamentRun,
      rubricsDir: options.rubricsDir,
      skipInvalid: false,
      json: false,
      ...(options.rubric ? { rubric: options.rubric } : {}),
    });
    await waitCommand(tournamentRun, { interval: 500, ...(options.timeout ? { timeout: options.timeout } : {}) });
    const again = openContext();
    try {
      for (const r of (await loadRunRecords(again, tournamentRun)).records) {
        const o = r.verdict?.pairwise?.outcome;
        if (r.status === 'verdict' && o) outcomes.set(r.sample_id, o);
      }
    } finally {
      await again.close();
    }
  }
  const lines = plans.map(({ task, plan }) => {
    const choice = chooseBestOfN(plan, (m) => outcomes.get(matchId(m.a, m.b)));
    const chosen = choice.chosen;
    process.stdout.write(
      `${task}: ${chosen ? `${chosen.sample_id} (${chosen.system}, score ${chosen.score?.toFixed(3)}, rank ${chosen.rank})` : 'no candidate has a verdict'} — ${choice.decided_by}${choice.tournament.length ? ` over ${choice.contenders.length} contenders` : ''}\n`,
    );
    return { run_id: runId, task_id: task, ...choice };
  });
  if (!options.out) mkdirSync(join(loadBaseConfig(process.env).GAVEL_DATA_DIR, 'best-of-n'), { recursive: true });
  writeFileSync(out, `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
  // With the run too, for gavel report, export and review (replacing an earlier best-of-n's choices).
  const saving = openContext();
  try {
    await saveBestOfN(
      saving.store,
      runId,
      {
        tournament_run: pairs.length > 0 ? tournamentRun : null,
        margin: options.margin,
        top: options.top,
        decided_at: new Date().toISOString(),
        tasks: lines.map((l) => l.task_id),
      },
      lines.map(({ run_id: _run, ...choice }) => choice),
    );
  } finally {
    await saving.close();
  }
  process.stderr.write(`gavel best-of-n: ${lines.length} choice(s) written to ${out}\n`);
}
