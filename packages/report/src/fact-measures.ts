import type { Graded } from './pairing.ts';

/**
 * One fact tracked across runs: a per-sample value (1/0 for a rate, a number for a mean), or null
 * where the fact does not apply to that sample (no tests ran, no self-consistency samples, not
 * arbitrated).
 */
export interface FactMeasure {
  id: string;
  label: string;
  kind: 'rate' | 'mean';
  value(record: Graded): number | null;
}

const flag = (b: boolean): number => (b ? 1 : 0);

// What the judge decided before an arbiter ruled, when an arbiter ruled.
function judgePass(record: Graded): boolean | null {
  if (record.verdict.source !== 'arbiter') return null;
  const judge = record.verdict.judge_verdict ?? record.judge_verdict;
  return judge ? judge.pass : null;
}

/**
 * The silent-drift facts: what a flat pass rate hides. Order is the order they are reported in.
 */
export const FACT_MEASURES: readonly FactMeasure[] = [
  {
    id: 'tests_passed',
    label: 'tests passed fully',
    kind: 'rate',
    value: ({ facts }) => {
      const t = facts?.tests;
      if (!t) return null;
      return flag(t.failed === 0 && t.errors === 0 && t.passed >= Math.max(1, t.expected, t.total));
    },
  },
  {
    id: 'ruff_errors',
    label: 'ruff errors > 0',
    kind: 'rate',
    value: ({ facts }) => (facts?.ruff ? flag(facts.ruff.errors > 0) : null),
  },
  {
    id: 'pyright_errors',
    label: 'pyright errors > 0',
    kind: 'rate',
    value: ({ facts }) => (facts?.pyright ? flag(facts.pyright.errors > 0) : null),
  },
  {
    id: 'timed_out',
    label: 'timeouts',
    kind: 'rate',
    value: ({ facts }) => (facts ? flag(facts.timed_out) : null),
  },
  {
    id: 'oom_killed',
    label: 'OOM kills',
    kind: 'rate',
    value: ({ facts }) => (facts ? flag(facts.oom_killed) : null),
  },
  {
    id: 'fabricated_claim',
    label: 'fabricated claims',
    kind: 'rate',
    value: ({ facts }) => (facts ? flag(facts.fabricated_claim.length > 0) : null),
  },
  {
    id: 'sandbox_limits_capped',
    label: 'ran under capped sandbox limits',
    kind: 'rate',
    value: ({ facts }) => (facts?.sandbox ? flag((facts.sandbox.capped?.length ?? 0) > 0) : null),
  },
  {
    id: 'routed_to_arbiter',
    label: 'routed to the arbiter',
    kind: 'rate',
    value: (record) => flag((record.route ?? record.verdict.route) === 'arbiter'),
  },
  {
    id: 'judge_agreement',
    label: 'mean judge agreement',
    kind: 'mean',
    value: ({ verdict }) => verdict.consistency?.agreement ?? null,
  },
  {
    id: 'arbiter_overturns',
    label: 'arbiter overturns (of arbitrated)',
    kind: 'rate',
    value: (record) => {
      const judge = judgePass(record);
      return judge === null ? null : flag(judge !== record.verdict.pass);
    },
  },
];
