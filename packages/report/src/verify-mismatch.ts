import { type CriterionScore, RouteReason, type Verdict } from '@gavel/core';

/**
 * One thing `gavel verify` re-derived differently from what the run recorded. `subject` names what
 * the field belongs to — `sample <id>`, `rubric <id@version>`, `dataset`, `sandbox image` — and
 * `sample_id` is set when it is a sample.
 */
export interface Mismatch {
  subject: string;
  sample_id: string | null;
  field: string;
  recorded: unknown;
  rederived: unknown;
}

/** A value as one line shows it: plain words and hashes as they are, anything else as JSON (so control characters stay escaped). */
function show(value: unknown): string {
  if (value === undefined || value === null) return 'none';
  if (typeof value === 'string' && /^[\w.:@+/ -]*$/.test(value)) return value;
  return JSON.stringify(value);
}

/** `sample s-1: verdict.pass: recorded true, re-derived false` — one line per mismatch. */
export function formatMismatch(m: Mismatch): string {
  return `${m.subject}: ${m.field}: recorded ${show(m.recorded)}, re-derived ${show(m.rederived)}`;
}

/** The parts of a verdict a facts-only grader decides (everything but the time it decided). */
export type DecidedVerdict = Pick<
  Verdict,
  'pass' | 'score' | 'criteria' | 'rationale' | 'source' | 'route' | 'route_reasons' | 'flags'
>;

function diffCriteria(sampleId: string, prefix: string, recorded: CriterionScore[], rederived: CriterionScore[]) {
  const out: Mismatch[] = [];
  const subject = `sample ${sampleId}`;
  const mine = new Map(recorded.map((c) => [c.id, c]));
  const theirs = new Map(rederived.map((c) => [c.id, c]));
  for (const id of new Set([...mine.keys(), ...theirs.keys()])) {
    const r = mine.get(id);
    const d = theirs.get(id);
    if (!r || !d) {
      out.push({ subject, sample_id: sampleId, field: `${prefix}.criteria.${id}`, recorded: r, rederived: d });
      continue;
    }
    for (const key of ['score', 'finding'] as const) {
      if (r[key] !== d[key]) {
        out.push({
          subject,
          sample_id: sampleId,
          field: `${prefix}.criteria.${id}.${key}`,
          recorded: r[key],
          rederived: d[key],
        });
      }
    }
  }
  return out;
}

/**
 * Field by field, where a recorded verdict differs from the one re-derived from the same facts and
 * rubric: `pass`, `score`, each criterion's score and finding, rationale, source, route, reasons and
 * flags. `prefix` names which record it is (`verdict` or `judgement`).
 */
export function diffVerdict(
  sampleId: string,
  prefix: string,
  recorded: DecidedVerdict,
  rederived: DecidedVerdict,
): Mismatch[] {
  const subject = `sample ${sampleId}`;
  const out: Mismatch[] = [];
  for (const key of ['pass', 'score', 'source', 'route', 'rationale'] as const) {
    if (recorded[key] !== rederived[key]) {
      out.push({
        subject,
        sample_id: sampleId,
        field: `${prefix}.${key}`,
        recorded: recorded[key],
        rederived: rederived[key],
      });
    }
  }
  out.push(...diffCriteria(sampleId, prefix, recorded.criteria, rederived.criteria));
  out.push(...diffReasons(sampleId, prefix, recorded.route_reasons, rederived.route_reasons));
  const flags = (f: readonly string[]) => [...f].sort().join(',');
  if (flags(recorded.flags) !== flags(rederived.flags)) {
    out.push({
      subject,
      sample_id: sampleId,
      field: `${prefix}.flags`,
      recorded: [...recorded.flags].sort(),
      rederived: [...rederived.flags].sort(),
    });
  }
  return out;
}

/** Route reasons in their canonical order (the order routing names them). */
export function canonicalReasons(reasons: readonly RouteReason[]): RouteReason[] {
  const order = RouteReason.options;
  return [...new Set(reasons)].sort((a, b) => order.indexOf(a) - order.indexOf(b));
}

/** A mismatch when two sets of route reasons differ (order does not matter). */
export function diffReasons(
  sampleId: string,
  prefix: string,
  recorded: readonly RouteReason[],
  rederived: readonly RouteReason[],
): Mismatch[] {
  const r = canonicalReasons(recorded);
  const d = canonicalReasons(rederived);
  if (r.join(',') === d.join(',')) return [];
  return [
    { subject: `sample ${sampleId}`, sample_id: sampleId, field: `${prefix}.route_reasons`, recorded: r, rederived: d },
  ];
}
