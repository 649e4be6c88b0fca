import type { Verdict } from '@gavel/core';
import type { ChangedFact } from './flips.ts';
import type { ExportRecord, RunRecords } from './run-records.ts';

/** How the HTML matrix shows a column; the CSV writes the same cells as plain values. */
export type ColumnType = 'text' | 'verdict' | 'score' | 'count' | 'bool' | 'flip' | 'number';

export interface MatrixColumn {
  key: string;
  label: string;
  type: ColumnType;
}

export type MatrixCell = string | number | boolean | null;

/** What the filters select on: set per row here, so the page and the tests agree on what "routed" means. */
export type RowTag =
  | 'failed'
  | 'error'
  | 'pending'
  | 'routed'
  | 'low_agreement'
  | 'safety'
  | 'flip'
  | 'regression'
  | 'fix';

export interface MatrixRow {
  sample_id: string;
  cells: MatrixCell[];
  tags: RowTag[];
}

/** One row per sample, the same columns for the HTML matrix and the CSV. */
export interface ReviewMatrix {
  columns: MatrixColumn[];
  /** Criterion ids in the order their columns appear (`crit:<id>`). */
  criteria: string[];
  rows: MatrixRow[];
}

/** The base run's side of each candidate sample, from the comparison's pairing. */
export interface MatrixBase {
  /** The paired base record of a candidate sample id; absent when the sample has no pair. */
  pairOf(candidateSampleId: string): ExportRecord | undefined;
  regressions: ReadonlySet<string>;
  fixes: ReadonlySet<string>;
  /** For a flipped candidate sample, the facts that changed from its base sample. */
  changedFacts(candidateSampleId: string): ChangedFact[];
}

export interface MatrixOptions {
  base?: MatrixBase;
  /** Self-consistency agreement below this is "low agreement" (the run's routing threshold). @default 0.8 */
  minAgreement?: number;
}

/** `pass`, `fail`, `error` (no verdict: a recorded failure) or `pending`. */
export function verdictLabel(record: ExportRecord): 'pass' | 'fail' | 'error' | 'pending' {
  if (record.verdict) return record.verdict.pass ? 'pass' : 'fail';
  return record.status === 'failed' ? 'error' : 'pending';
}

/** The judge's own verdict: the judgement when the sample went on to the arbiter, else the verdict. */
function judgement(record: ExportRecord): Verdict | null {
  return record.judge_verdict ?? record.verdict;
}

/** `upheld` / `overturned` when the arbiter decided, `unarbitrated` when routed without one, else empty. */
export function arbiterDecision(record: ExportRecord): string {
  const verdict = record.verdict;
  if (!verdict) return '';
  if (verdict.arbitration === 'unarbitrated') return 'unarbitrated';
  if (verdict.arbitration !== 'done') return '';
  const judged = verdict.judge_verdict?.pass ?? record.judge_verdict?.pass;
  if (judged === undefined) return 'decided';
  return judged === verdict.pass ? 'upheld' : 'overturned';
}

/** Criterion ids in first-seen order over the candidate's verdicts, then the base's. */
function criterionIds(runs: readonly (readonly ExportRecord[])[]): string[] {
  const ids = new Set<string>();
  for (const records of runs)
    for (const record of records) for (const c of record.verdict?.criteria ?? []) ids.add(c.id);
  return [...ids];
}

/** The columns a run `gavel best-of-n` ranked adds: rank by score, tournament points, chosen or contender. */
const BEST_OF_N_COLUMNS: MatrixColumn[] = [
  { key: 'bon_rank', label: 'bon rank', type: 'number' },
  { key: 'bon_points', label: 'bon points', type: 'number' },
  { key: 'bon_choice', label: 'best of n', type: 'text' },
];

function bestOfNCells(record: ExportRecord): MatrixCell[] {
  const b = record.best_of_n;
  if (!b) return [null, null, ''];
  return [b.rank, b.points, b.chosen ? 'chosen' : b.contender ? 'contender' : ''];
}

function columnsFor(criteria: readonly string[], withBase: boolean): MatrixColumn[] {
  return [
    { key: 'task_id', label: 'task', type: 'text' },
    { key: 'sample_id', label: 'sample', type: 'text' },
    { key: 'verdict', label: 'verdict', type: 'verdict' },
    { key: 'score', label: 'score', type: 'score' },
    ...(withBase
      ? ([
          { key: 'base_verdict', label: 'base', type: 'verdict' },
          { key: 'base_score', label: 'base score', type: 'score' },
          { key: 'flip', label: 'flip', type: 'flip' },
        ] as const)
      : []),
    ...criteria.map((id): MatrixColumn => ({ key: `crit:${id}`, label: id, type: 'score' })),
    { key: 'tests_passed', label: 'tests ok', type: 'number' },
    { key: 'tests_total', label: 'of tests', type: 'number' },
    { key: 'ruff_errors', label: 'ruff', type: 'count' },
    { key: 'pyright_errors', label: 'pyright', type: 'count' },
    { key: 'timed_out', label: 'timeout', type: 'bool' },
    { key: 'oom_killed', label: 'OOM', type: 'bool' },
    { key: 'route', label: 'route', type: 'text' },
    { key: 'route_reasons', label: 'reasons', type: 'text' },
    { key: 'agreement', label: 'agreement', type: 'score' },
    { key: 'arbiter', label: 'arbiter', type: 'text' },
  ];
}

function tagsFor(record: ExportRecord, minAgreement: number, base: MatrixBase | undefined): RowTag[] {
  const tags: RowTag[] = [];
  const label = verdictLabel(record);
  if (label !== 'pass') tags.push('failed');
  if (label === 'error') tags.push('error');
  if (label === 'pending') tags.push('pending');
  const judged = judgement(record);
  if (judged?.route === 'arbiter') tags.push('routed');
  const agreement = judged?.consistency?.agreement;
  if (agreement !== undefined && agreement < minAgreement) tags.push('low_agreement');
  if (judged?.route_reasons.includes('safety')) tags.push('safety');
  if (base?.regressions.has(record.sample_id)) tags.push('flip', 'regression');
  else if (base?.fixes.has(record.sample_id)) tags.push('flip', 'fix');
  return tags;
}

/**
 * The review matrix of a run: one row per sample (task, verdict, score, per-criterion scores, key
 * facts, route and agreement, arbiter decision) and, with a base, the paired base verdict and the flip
 * the comparison found; on a run `gavel best-of-n` ranked, each candidate's rank, points and choice.
 * Rows keep the run's record order.
 */
export function reviewMatrix(run: RunRecords, options: MatrixOptions = {}): ReviewMatrix {
  const base = options.base;
  const minAgreement = options.minAgreement ?? run.manifest?.stages.judge.routing.min_agreement ?? 0.8;
  const baseRecords = base ? run.records.flatMap((r) => base.pairOf(r.sample_id) ?? []) : [];
  const criteria = criterionIds([run.records, baseRecords]);
  const bestOfN = run.records.some((r) => r.best_of_n !== undefined);
  const columns = [...columnsFor(criteria, base !== undefined), ...(bestOfN ? BEST_OF_N_COLUMNS : [])];
  const rows = run.records.map((record): MatrixRow => {
    const facts = record.facts;
    const judged = judgement(record);
    const scores = new Map((record.verdict?.criteria ?? []).map((c) => [c.id, c.score]));
    const paired = base?.pairOf(record.sample_id);
    const flip = base?.regressions.has(record.sample_id)
      ? 'regression'
      : base?.fixes.has(record.sample_id)
        ? 'fix'
        : '';
    const cells: MatrixCell[] = [
      record.task_id,
      record.sample_id,
      verdictLabel(record),
      record.verdict?.score ?? null,
      ...(base ? [paired ? verdictLabel(paired) : null, paired?.verdict?.score ?? null, flip] : []),
      ...criteria.map((id) => scores.get(id) ?? null),
      facts?.tests?.passed ?? null,
      facts?.tests?.total ?? null,
      facts?.ruff?.errors ?? null,
      facts?.pyright?.errors ?? null,
      facts ? facts.timed_out : null,
      facts ? facts.oom_killed : null,
      record.route,
      judged?.route_reasons.join(' ') ?? '',
      judged?.consistency?.agreement ?? null,
      arbiterDecision(record),
      ...(bestOfN ? bestOfNCells(record) : []),
    ];
    return { sample_id: record.sample_id, cells, tags: tagsFor(record, minAgreement, base) };
  });
  return { columns, criteria, rows };
}
