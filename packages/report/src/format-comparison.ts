import type { Comparison, FlipEntry } from './comparison.ts';

// Ids and fact values come from datasets and models: control characters never reach the terminal raw.
function clean(value: unknown): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching them is the point
  return String(value).replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (ch) => {
    return `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}

const pct = (x: number | null) => (x === null ? 'n/a' : `${(x * 100).toFixed(1)}%`);
const pts = (x: number | null) => (x === null ? 'n/a' : `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)} pts`);
const num = (x: number | null, digits = 3) => (x === null ? 'n/a' : x.toFixed(digits));
const signed = (x: number | null, digits = 3) => (x === null ? 'n/a' : `${x >= 0 ? '+' : ''}${x.toFixed(digits)}`);
const interval = (ci: [number, number] | null, f: (x: number) => string) =>
  ci === null ? '[n/a]' : `[${f(ci[0])}, ${f(ci[1])}]`;
const ptsCi = (ci: [number, number] | null) => interval(ci, (x) => pts(x));
const pctCi = (ci: [number, number] | null) => interval(ci, (x) => pct(x));

function flipLine(flip: FlipEntry): string {
  const verdict = (pass: boolean, score: number) => `${pass ? 'pass' : 'fail'} ${score.toFixed(2)}`;
  const facts = flip.changed_facts.map((f) => `${clean(f.fact)} ${clean(f.base)} → ${clean(f.candidate)}`).join('; ');
  return (
    `  ${clean(flip.task_id)}: base ${clean(flip.base_sample_id)} (${verdict(flip.base_pass, flip.base_score)}) → ` +
    `candidate ${clean(flip.candidate_sample_id)} (${verdict(flip.candidate_pass, flip.candidate_score)})` +
    (facts ? `; ${facts}` : '')
  );
}

// The first `limit` lines of a list, then how many more the JSON holds.
function listed(items: readonly string[], limit: number): string[] {
  if (items.length <= limit) return [...items];
  return [...items.slice(0, limit), `  … and ${items.length - limit} more (all of them are in --json / --out)`];
}

/**
 * `gavel compare` as text: the manifest differences, the figures, silent drift, the flips and the
 * decision line. When the rubrics differ every figure line is marked `[not like-for-like]`. Each list
 * (regressions, fixes, samples not counted) shows its first `limit` entries (default 50), then a count.
 */
export function formatComparison(c: Comparison, options: { limit?: number } = {}): string {
  const limit = options.limit ?? 50;
  const mark = c.like_for_like ? '' : '[not like-for-like] ';
  const lines: string[] = [];
  lines.push(
    `gavel compare: base ${clean(c.base.run_id ?? '(unknown run)')} → candidate ${clean(c.candidate.run_id ?? '(unknown run)')}`,
  );
  if (!c.like_for_like) {
    lines.push('WARNING: the runs were graded on different rubrics; no figure below is like for like');
    for (const r of c.paired.rubric_changes) {
      lines.push(
        `  rubric (${clean(r.scope)}): ${clean(r.base.id)}@${clean(r.base.version)} (${r.base.hash}) → ${clean(r.candidate.id)}@${clean(r.candidate.version)} (${r.candidate.hash})`,
      );
    }
  }
  lines.push(c.manifest_diff.length === 0 ? 'manifests: no differences' : 'manifest differences:');
  for (const d of c.manifest_diff)
    lines.push(`  ${d.field}: ${clean(d.base ?? '(unknown)')} → ${clean(d.candidate ?? '(unknown)')}`);
  lines.push(
    `paired: ${c.paired.n} sample(s) over ${c.paired.tasks} task(s)${c.paired.clustered ? ' (SE clustered by task)' : ''}; ` +
      `${c.only_in_base.length} only in base, ${c.only_in_candidate.length} only in candidate, ` +
      `${c.failed_in_either.length} without a verdict in either (not counted)`,
  );
  for (const [name, run] of [
    ['base', c.base],
    ['candidate', c.candidate],
  ] as const) {
    lines.push(
      `${mark}${name}: n=${run.n}, pass rate ${pct(run.pass_rate)} ± ${pct(run.pass_rate_se)} ${pctCi(run.pass_rate_ci95)}, ` +
        `mean score ${num(run.mean_score)} ± ${num(run.mean_score_se)}`,
    );
  }
  lines.push(
    `${mark}paired difference: pass rate ${pts(c.delta_pass_rate)} ± ${pts(c.delta_pass_rate_se).replace('+', '')} ${ptsCi(c.delta_pass_rate_ci95)} (Wald), ` +
      `${ptsCi(c.delta_pass_rate_ci95_score)} (score), ` +
      `score ${signed(c.delta_score)} ${interval(c.delta_score_ci95, (x) => signed(x))}, correlation ${num(c.correlation, 2)}`,
  );
  lines.push(
    `${mark}McNemar: b=${c.mcnemar.b} (pass → fail), c=${c.mcnemar.c} (fail → pass), p=${c.mcnemar.p_value.toPrecision(4)} (${c.mcnemar.method === 'exact' ? 'exact binomial' : 'chi-square, continuity-corrected'})`,
  );
  lines.push(
    `${mark}minimum detectable effect (80% power, α=0.05): ${c.mde_80 === null ? 'n/a (no discordant pairs)' : `${(c.mde_80 * 100).toFixed(1)} pts`}`,
  );
  if (c.criteria.length > 0) lines.push('criteria (mean score, base → candidate, paired delta [95% CI]):');
  for (const k of c.criteria) {
    lines.push(
      `  ${mark}${clean(k.id)}: ${num(k.base_mean)} → ${num(k.candidate_mean)} (${signed(k.delta)} ${interval(k.delta_ci95, (x) => signed(x))}, n=${k.n})`,
    );
  }
  lines.push('silent drift (base → candidate, over the pairs where the fact applies):');
  for (const f of c.facts) {
    if (f.n === 0) {
      lines.push(`  ${f.label}: n/a`);
      continue;
    }
    const shown =
      f.kind === 'rate'
        ? `${pct(f.base_mean)} → ${pct(f.candidate_mean)} (${pts(f.delta)} ${ptsCi(f.delta_ci95)})`
        : `${num(f.base_mean)} → ${num(f.candidate_mean)} (${signed(f.delta)} ${interval(f.delta_ci95, (x) => signed(x))})`;
    lines.push(`  ${mark}${f.label}: ${shown}, n=${f.n}`);
  }
  lines.push(`regressions (${c.regressions.length}):`, ...listed(c.regressions.map(flipLine), limit));
  lines.push(`fixes (${c.fixes.length}):`, ...listed(c.fixes.map(flipLine), limit));
  const apart = [
    ...c.only_in_base.map((u) => `  only in base: ${clean(u.task_id)} #${u.index} (${clean(u.sample_id)})`),
    ...c.only_in_candidate.map((u) => `  only in candidate: ${clean(u.task_id)} #${u.index} (${clean(u.sample_id)})`),
    ...c.failed_in_either.map(
      (f) =>
        `  no verdict: ${clean(f.task_id)} (base ${clean(f.base_sample_id)}: ${f.base_status}, candidate ${clean(f.candidate_sample_id)}: ${f.candidate_status})`,
    ),
  ];
  if (apart.length > 0) lines.push(`not counted (${apart.length}):`, ...listed(apart, limit));
  const d = c.decision;
  const ship =
    d.ship_blocked === null
      ? ''
      : d.ship_blocked
        ? `; ship BLOCKED (max drop ${d.max_drop_pts} pts)`
        : `; ship ok (max drop ${d.max_drop_pts} pts)`;
  lines.push(`${mark}decision: ${d.outcome} — ${d.reason}${ship}`);
  return `${lines.join('\n')}\n`;
}
