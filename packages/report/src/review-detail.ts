import type { Content, Diagnostic, TestCase } from '@gavel/core';
import { contentParts, contentText } from '@gavel/core';
import type { SampleBestOfN } from './best-of-n-record.ts';
import type { ChangedFact } from './flips.ts';
import { arbiterDecision, verdictLabel } from './review-matrix.ts';
import type { ExportRecord } from './run-records.ts';

/**
 * One part of a pair's output as the detail shows it: text (JSON pretty-printed, CSV as it is), or an
 * image by its content hash — the page looks the hash up among the images embedded from the image
 * store, and shows `label` as a marker when it is not there. An image part without a sha256 (a `url`
 * or `path` in hand-written export text) has `sha256: null` and is never rendered.
 */
export type DetailPart = { type: 'text'; text: string } | { type: 'image'; sha256: string | null; label: string };

/** What the matrix's detail view shows of one sample. Every string is untrusted text. */
export interface SampleDetail {
  sample_id: string;
  task_id: string | null;
  kind: string;
  sut: string;
  verdict: string;
  score: number | null;
  source: string | null;
  failure: string | null;
  prompt: string | null;
  output: string | null;
  facts: Array<[string, string]>;
  tests: TestCase[];
  diagnostics: Array<{ tool: string } & Diagnostic>;
  criteria: Array<{ id: string; score: number; finding: string | null }>;
  judge_rationale: string | null;
  arbiter_rationale: string | null;
  arbiter: string;
  consistency: Array<[string, string]>;
  /**
   * A pair: both outputs side by side (text and images), the outcome, both orders' readings with their
   * per-criterion preferences, the per-criterion outcomes, and where the judge routed it.
   */
  pair: {
    outcome: string;
    decided_by: string;
    consistent: boolean;
    margin: number;
    route: string;
    route_reasons: string[];
    a: { system: string; text: string; parts: DetailPart[] };
    b: { system: string; text: string; parts: DetailPart[] };
    orders: Array<{
      first: string;
      preference: string;
      margin: number;
      rationale: string;
      criteria: Array<{ id: string; preference: string; finding: string | null }>;
    }>;
    criteria: Array<{ id: string; outcome: string }>;
  } | null;
  /** A candidate of a run `gavel best-of-n` ranked: its side of its task's choice. */
  best_of_n: SampleBestOfN | null;
  base: {
    sample_id: string;
    verdict: string;
    score: number | null;
    rationale: string | null;
    /** For a flip, the facts that differ from the base sample (the comparison's `changed_facts`). */
    changed: ChangedFact[];
  } | null;
}

function factLines(record: ExportRecord): Array<[string, string]> {
  const f = record.facts;
  if (!f) return [];
  const lines: Array<[string, string]> = [];
  if (f.tests)
    lines.push([
      'tests',
      `${f.tests.passed} passed, ${f.tests.failed} failed, ${f.tests.errors} errors, ${f.tests.skipped} skipped of ${f.tests.total} (expected ${f.tests.expected})`,
    ]);
  if (f.ruff) lines.push(['ruff', `${f.ruff.errors} errors, ${f.ruff.warnings} warnings (ruff ${f.ruff.version})`]);
  if (f.pyright)
    lines.push([
      'pyright',
      `${f.pyright.errors} errors, ${f.pyright.warnings} warnings (pyright ${f.pyright.version})`,
    ]);
  if (f.reference) lines.push(['reference', `exact match ${f.reference.exact_match}, F1 ${f.reference.f1.toFixed(3)}`]);
  lines.push(['exit code', f.exit_code === null ? 'none' : String(f.exit_code)]);
  lines.push(['duration', `${Math.round(f.duration_ms)} ms`]);
  if (f.timed_out) lines.push(['timed out', 'yes']);
  if (f.oom_killed) lines.push(['OOM killed', 'yes']);
  if (f.output_truncated) lines.push(['output truncated', 'yes']);
  if (f.fabricated_claim.length > 0) lines.push(['fabricated claims', f.fabricated_claim.join(', ')]);
  if (f.sandbox) lines.push(['sandbox image', `${f.sandbox.image} (${f.sandbox.image_digest})`]);
  return lines;
}

const system = (s: { model: string; family: string }) => `${s.model} (${s.family})`;

const SHA256 = /^[0-9a-f]{64}$/;

/** The parts of a pair's output as the detail shows them (see {@link DetailPart}). */
export function detailParts(content: Content): DetailPart[] {
  return contentParts(content).map((p): DetailPart => {
    if (p.type === 'text') return { type: 'text', text: p.text };
    if (p.type === 'json') return { type: 'text', text: JSON.stringify(p.data, null, 2) ?? 'null' };
    if (p.type === 'csv') return { type: 'text', text: p.data };
    const sha256 = p.sha256 && SHA256.test(p.sha256) ? p.sha256 : null;
    const size = p.width && p.height ? ` ${p.width}×${p.height}` : '';
    return {
      type: 'image',
      sha256,
      label: sha256
        ? `[image ${sha256.slice(0, 12)}${size}]`
        : '[image not from the image store (no sha256): not shown]',
    };
  });
}

function pairDetail(record: ExportRecord): SampleDetail['pair'] {
  const judged = record.judge_verdict ?? record.verdict;
  const pairwise = record.verdict?.pairwise ?? record.judge_verdict?.pairwise;
  if (record.kind !== 'pair' || !record.outputs || !record.systems) return null;
  const side = (s: 'a' | 'b') => {
    const outputs = record.outputs as NonNullable<ExportRecord['outputs']>;
    const systems = record.systems as NonNullable<ExportRecord['systems']>;
    return { system: system(systems[s]), text: contentText(outputs[s]), parts: detailParts(outputs[s]) };
  };
  return {
    outcome: pairwise?.outcome ?? 'pending',
    decided_by: pairwise?.decided_by ?? '–',
    consistent: pairwise?.consistent ?? false,
    margin: pairwise?.margin ?? 0,
    route: judged?.route ?? '–',
    route_reasons: judged?.route_reasons ?? [],
    a: side('a'),
    b: side('b'),
    orders: (pairwise?.orders ?? []).map((o) => ({
      first: o.first,
      preference: o.preference,
      margin: o.margin,
      rationale: o.rationale,
      criteria: o.criteria.map((c) => ({ id: c.id, preference: c.preference, finding: c.finding })),
    })),
    criteria: (pairwise?.criteria ?? []).map((c) => ({ id: c.id, outcome: c.outcome })),
  };
}

/** The detail of one sample: prompt, output, facts, tests, diagnostics, rationales, self-consistency. */
export function sampleDetail(record: ExportRecord, base?: ExportRecord, changed: ChangedFact[] = []): SampleDetail {
  const verdict = record.verdict;
  const judged = record.judge_verdict ?? verdict;
  const arbitrated = verdict?.arbitration === 'done';
  const consistency = judged?.consistency;
  return {
    sample_id: record.sample_id,
    task_id: record.task_id,
    kind: record.kind,
    sut: `${record.sut.model} (${record.sut.family}${record.sut.precision ? `, ${record.sut.precision}` : ''})`,
    verdict: verdictLabel(record),
    score: verdict?.score ?? null,
    source: verdict?.source ?? null,
    failure: record.failure ? `${record.failure.stage} ${record.failure.code}: ${record.failure.reason}` : null,
    prompt: record.prompt ?? null,
    output: record.output ?? null,
    facts: factLines(record),
    tests: record.facts?.tests?.cases ?? [],
    diagnostics: [
      ...(record.facts?.ruff?.diagnostics ?? []).map((d) => ({ tool: 'ruff', ...d })),
      ...(record.facts?.pyright?.diagnostics ?? []).map((d) => ({ tool: 'pyright', ...d })),
    ],
    criteria: verdict?.criteria ?? [],
    judge_rationale: arbitrated
      ? (verdict?.judge_verdict?.rationale ?? record.judge_verdict?.rationale ?? null)
      : (verdict?.rationale ?? null),
    arbiter_rationale: arbitrated ? (verdict?.rationale ?? null) : null,
    arbiter: arbiterDecision(record),
    consistency: consistency
      ? [
          ['extra samples (k)', String(consistency.k)],
          ['answers', String(consistency.samples)],
          ['majority verdict', consistency.majority ? 'pass' : 'fail'],
          ['agreement', consistency.agreement.toFixed(3)],
          ['score mean', consistency.score_mean.toFixed(3)],
          ['score variance', consistency.score_variance.toFixed(4)],
          ['seeds', consistency.seeds.join(', ')],
          ['temperatures', consistency.temperatures.join(', ')],
        ]
      : [],
    pair: pairDetail(record),
    best_of_n: record.best_of_n ?? null,
    base: base
      ? {
          sample_id: base.sample_id,
          verdict: verdictLabel(base),
          score: base.verdict?.score ?? null,
          rationale: base.verdict?.rationale ?? null,
          changed,
        }
      : null,
  };
}
