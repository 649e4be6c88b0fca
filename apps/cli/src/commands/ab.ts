import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadBaseConfig, type PairSample } from '@gavel/core';
import { pairRuns } from '@gavel/report';
import { abPairSample } from '@gavel/runs';
import { CliError } from '../cli-error.ts';
import { openContext } from '../context.ts';
import { loadRunRecords } from '../run-records-source.ts';
import { type EnqueueOptions, enqueueCommand } from './enqueue.ts';

export interface AbOptions extends Pick<EnqueueOptions, 'run' | 'rubric' | 'rubricsDir' | 'json'> {
  out?: string;
}

/**
 * `gavel ab BASE CANDIDATE`: a pairwise run of two runs of the same tasks. Their samples pair by
 * task and index (as `gavel compare` pairs them); each pair becomes a `pair` sample — A the base's
 * output, B the candidate's, both systems, code pairs with both samples' facts — written to a
 * dataset file and enqueued like any other (its own run id, the pairwise rubric).
 */
export async function abCommand(base: string, candidate: string, options: AbOptions): Promise<string> {
  const context = openContext();
  let file: string;
  let pairs: PairSample[];
  try {
    for (const run of [base, candidate]) {
      if (!(await context.store.findManifest(run))) throw new CliError(`gavel ab: no run ${run} (see gavel runs)`, 1);
    }
    const [left, right] = await Promise.all([loadRunRecords(context, base), loadRunRecords(context, candidate)]);
    const pairing = pairRuns(left.records, right.records);
    const matched = [
      ...pairing.graded.map((p) => ({ a: p.base, b: p.candidate })),
      ...pairing.failed_in_either.map((p) => ({
        a: left.records.find((r) => r.sample_id === p.base_sample_id),
        b: right.records.find((r) => r.sample_id === p.candidate_sample_id),
      })),
    ];
    pairs = [];
    for (const { a, b } of matched) {
      if (!a || !b) continue;
      const [sa, sb] = await Promise.all([
        context.store.getSample(base, a.sample_id),
        context.store.getSample(candidate, b.sample_id),
      ]);
      if (sa.kind === 'pair' || sb.kind === 'pair') {
        throw new CliError(`gavel ab: ${base} and ${candidate} must be pointwise runs (sample ${sa.id} is a pair)`, 1);
      }
      pairs.push(abPairSample(sa, sb, { base: a.facts, candidate: b.facts }));
    }
    if (pairs.length === 0) throw new CliError(`gavel ab: runs ${base} and ${candidate} share no task`, 1);
    const dir = join(loadBaseConfig(process.env).GAVEL_DATA_DIR, 'ab');
    file = options.out ?? join(dir, `${base}-vs-${candidate}.jsonl`);
    if (!options.out) mkdirSync(dir, { recursive: true });
    writeFileSync(file, `${pairs.map((p) => JSON.stringify(p)).join('\n')}\n`);
    const unpaired = pairing.only_in_base.length + pairing.only_in_candidate.length;
    process.stderr.write(
      `gavel ab: ${pairs.length} pair(s) of ${base} (A) and ${candidate} (B) written to ${file}${unpaired ? `; ${unpaired} sample(s) in one run only, left out` : ''}\n`,
    );
  } finally {
    await context.close();
  }
  return enqueueCommand([file], { format: 'jsonl', skipInvalid: false, ...options });
}
