import type { Comparison } from './comparison.ts';
import { escapeHtml } from './html-text.ts';
import { pairRuns } from './pairing.ts';
import { figure } from './review-header.ts';
import type { ReviewComparisonView } from './review-html.ts';
import type { MatrixBase } from './review-matrix.ts';
import type { ExportRecord, RunRecords } from './run-records.ts';
import { deltaChart } from './svg-charts.ts';

const pct = (x: number | null): string => (x === null ? '–' : `${(x * 100).toFixed(1)}%`);
const pts = (x: number | null): string => (x === null ? '–' : `${x > 0 ? '+' : ''}${(x * 100).toFixed(1)} pts`);
const interval = (ci: readonly [number, number] | null, f: (x: number) => string): string =>
  ci ? `95% CI ${f(ci[0])} … ${f(ci[1])}` : 'no CI (too few tasks)';

/** Facts where a rise is bad news (errors, timeouts, routing, overturns); the rest rise for the better. */
const LOWER_IS_BETTER = new Set([
  'ruff_errors',
  'pyright_errors',
  'timed_out',
  'oom_killed',
  'fabricated_claim',
  'routed_to_arbiter',
  'arbiter_overturns',
]);

/**
 * The base side of the matrix from the comparison's own pairing (`pairRuns`): each candidate sample's
 * paired base record (graded pairs and pairs that failed in either run) and the regressions and fixes.
 */
export function matrixBase(base: RunRecords, candidate: RunRecords, comparison: Comparison): MatrixBase {
  const pairing = pairRuns(base.records, candidate.records);
  const pairs = new Map<string, string>([
    ...pairing.graded.map((p): [string, string] => [p.candidate.sample_id, p.base.sample_id]),
    ...pairing.failed_in_either.map((p): [string, string] => [p.candidate_sample_id, p.base_sample_id]),
  ]);
  const byId = new Map<string, ExportRecord>(base.records.map((r) => [r.sample_id, r]));
  const changed = new Map(
    [...comparison.regressions, ...comparison.fixes].map((f) => [f.candidate_sample_id, f.changed_facts]),
  );
  return {
    pairOf: (candidateSampleId) => {
      const baseId = pairs.get(candidateSampleId);
      return baseId === undefined ? undefined : byId.get(baseId);
    },
    regressions: new Set(comparison.regressions.map((f) => f.candidate_sample_id)),
    fixes: new Set(comparison.fixes.map((f) => f.candidate_sample_id)),
    changedFacts: (candidateSampleId) => changed.get(candidateSampleId) ?? [],
  };
}

function header(c: Comparison): string {
  const outcome = c.decision.outcome;
  const cls = outcome === 'improved' ? 'improved' : outcome === 'regressed' ? 'regressed' : 'unchanged';
  const blocked =
    c.decision.ship_blocked === null
      ? ''
      : c.decision.ship_blocked
        ? ` · ship blocked (a drop of more than ${c.decision.max_drop_pts} pts cannot be ruled out)`
        : ` · within the ${c.decision.max_drop_pts}-pt margin`;
  const figures = [
    figure(
      'base pass rate',
      pct(c.base.pass_rate),
      interval(c.base.pass_rate_ci95, (x) => pct(x)),
    ),
    figure(
      'candidate pass rate',
      pct(c.candidate.pass_rate),
      interval(c.candidate.pass_rate_ci95, (x) => pct(x)),
    ),
    figure(
      'Δ pass rate (paired)',
      pts(c.delta_pass_rate),
      `${interval(c.delta_pass_rate_ci95, pts)} Wald · ${interval(c.delta_pass_rate_ci95_score, pts)} score`,
    ),
    figure(
      'Δ mean score (paired)',
      c.delta_score === null ? '–' : c.delta_score.toFixed(3),
      interval(c.delta_score_ci95, (x) => x.toFixed(3)),
    ),
    figure('regressions', String(c.regressions.length), 'pass → fail', '#filter=regressions'),
    figure('fixes', String(c.fixes.length), 'fail → pass', '#filter=fixes'),
    figure(
      'McNemar p',
      c.mcnemar.p_value < 0.0001 ? c.mcnemar.p_value.toExponential(2) : c.mcnemar.p_value.toFixed(4),
      `b ${c.mcnemar.b}, c ${c.mcnemar.c}, ${c.mcnemar.method}`,
    ),
    figure('MDE at 80% power', c.mde_80 === null ? '–' : pts(c.mde_80).replace('+', '±'), 'α = 0.05'),
    figure('score correlation', c.correlation === null ? '–' : c.correlation.toFixed(2), 'per-pair, base vs candidate'),
    figure(
      'paired',
      String(c.paired.n),
      `${c.paired.tasks} tasks · ${c.only_in_base.length} only in base · ${c.only_in_candidate.length} only in candidate · ${c.failed_in_either.length} failed in either`,
    ),
  ];
  const diff =
    c.manifest_diff.length === 0
      ? '<p>The two manifests agree on everything recorded.</p>'
      : `<table class="diff"><tr><th>differs</th><th>base</th><th>candidate</th></tr>${c.manifest_diff
          .map(
            (d) =>
              `<tr><td>${escapeHtml(d.field)}</td><td>${escapeHtml(String(d.base ?? '–'))}</td><td>${escapeHtml(String(d.candidate ?? '–'))}</td></tr>`,
          )
          .join('')}</table>`;
  return [
    `<div class="decision ${cls}">${escapeHtml(`${outcome}: ${c.decision.reason}${blocked}`)}</div>`,
    c.like_for_like
      ? ''
      : '<p class="warning">The rubrics differ (--allow-rubric-change): no figure here compares like for like.</p>',
    `<div class="figures">${figures.join('')}</div>`,
    diff,
  ].join('\n');
}

/** What `gavel review RUN --against BASE` adds to the page: the comparison's figures, decision and delta charts. */
export function reviewComparisonView(
  base: RunRecords,
  candidate: RunRecords,
  comparison: Comparison,
): ReviewComparisonView {
  const id = (run: RunRecords) => run.manifest?.run_id ?? run.records[0]?.run_id ?? 'run';
  return {
    base: matrixBase(base, candidate, comparison),
    title: `gavel review — run ${id(candidate)} against ${id(base)}`,
    headerHtml: header(comparison),
    chartsHtml: [
      deltaChart(
        'Δ mean score per criterion (candidate − base)',
        comparison.criteria.map((c) => ({ label: c.id, delta: c.delta ?? 0, ci95: c.delta_ci95 })),
      ),
      deltaChart(
        'Δ fact rates (candidate − base)',
        comparison.facts.map((f) => ({ label: f.label, delta: f.delta ?? 0, ci95: f.delta_ci95 })),
        comparison.facts.map((f) => !LOWER_IS_BETTER.has(f.id)),
      ),
    ],
  };
}
