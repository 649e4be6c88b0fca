import type { GateHeadline } from '../lock-file.ts';
import type { AdversarialResult } from './adversarial.ts';
import type { ContaminationResult } from './contamination.ts';
import type { DiscriminativeResult } from './discriminative.ts';
import type { PairAdversarialResult } from './pair-adversarial.ts';
import type { PairDiscriminativeResult } from './pair-discriminative.ts';
import { formatPairGates } from './pair-format.ts';
import type { PinnedResult } from './pinned.ts';

/** What `gavel rubric check` writes (JSON) and `gavel rubric freeze` keeps as `<id>/<version>.gates.json`. */
export interface GateReport {
  gavel_version: string;
  created_at: string;
  rubric: { id: string; version: string; kind: string; sha256: string; source: string };
  /** The judge the calibration run was graded by, as its manifest pinned it. */
  judge: { name: string; mode: string; model: string | null; k: number };
  run_id: string;
  calibration: { files: { path: string; sha256: string }[]; sha256: string; samples: number };
  adversarial_files: { path: string; sha256: string }[];
  passed: boolean;
  /** A pair rubric's discriminative and adversarial gates have their pairwise forms (`kind: "pair"`). */
  gates: {
    discriminative: DiscriminativeResult | PairDiscriminativeResult;
    adversarial: AdversarialResult | PairAdversarialResult;
    contamination: ContaminationResult;
    pinned: PinnedResult;
  };
}

export const GATE_NAMES = ['discriminative', 'adversarial', 'contamination', 'pinned'] as const;

/** Each failed gate with its reasons (empty when every gate passed). */
export function failedGates(report: GateReport): { gate: string; reasons: string[] }[] {
  return GATE_NAMES.filter((g) => !report.gates[g].passed).map((g) => ({ gate: g, reasons: report.gates[g].reasons }));
}

/** The figures the lock entry repeats. */
export function gateHeadline(report: GateReport): GateHeadline {
  const d = report.gates.discriminative;
  const a = report.gates.adversarial;
  const c = report.gates.contamination;
  const common = {
    calibration_sha256: report.calibration.sha256,
    kappa: d.kappa?.kappa ?? null,
    adversarial: `${a.failed}/${a.n} failed`,
    contamination: c.passed
      ? `clean (${c.flagged.length} public calibration/rubric task(s) noted)`
      : 'public tasks in the eval set',
    judge: report.judge.name,
  };
  if ('kind' in d) {
    return {
      ...common,
      pass_rate: d.b_preferred?.value ?? 0,
      tpr: null,
      tnr: null,
      agreement: d.agreement?.value ?? null,
      position_consistency: d.position_consistency?.value ?? null,
    };
  }
  return { ...common, pass_rate: d.pass_rate?.value ?? 0, tpr: d.tpr?.value ?? null, tnr: d.tnr?.value ?? null };
}

const pct = (x: number | undefined | null) => (x === undefined || x === null ? 'n/a' : x.toFixed(3));
const ci = (x: [number, number] | undefined) => (x ? `[${x[0].toFixed(3)}, ${x[1].toFixed(3)}]` : '');

/** The readable summary `gavel rubric check` prints. */
export function formatGateReport(report: GateReport): string {
  const d = report.gates.discriminative;
  const a = report.gates.adversarial;
  const c = report.gates.contamination;
  const p = report.gates.pinned;
  const mark = (ok: boolean) => (ok ? 'PASS' : 'FAIL');
  const lines = [
    `rubric ${report.rubric.id}@${report.rubric.version} (sha256 ${report.rubric.sha256.slice(0, 12)}…), judge ${report.judge.name}, run ${report.run_id}`,
    `calibration: ${report.calibration.samples} sample(s), sha256 ${report.calibration.sha256.slice(0, 12)}…`,
    '',
    ...('kind' in d ? formatPairGates(d, a) : formatPointwiseGates(d, a)),
    `${mark(c.passed)} contamination: ${c.n}-gram overlap ≥ ${c.threshold} against ${c.sources.join(', ')}; checked ${c.checked.eval} eval, ${c.checked.calibration} calibration task(s) and the rubric text; ${c.flagged.length} flagged`,
    ...c.flagged
      .slice(0, 20)
      .map((f) => `     ${f.set} ${f.task_id}: ${(f.overlap * 100).toFixed(1)}% ~ ${f.match?.source}:${f.match?.task}`),
    `${mark(p.passed)} pinned: ${report.rubric.id}@${p.version} sha256 ${p.sha256}${p.earlier.length ? `; earlier: ${p.earlier.join(', ')}` : ''}`,
  ];
  for (const g of failedGates(report)) for (const r of g.reasons) lines.push(`  ✗ ${g.gate}: ${r}`);
  lines.push(
    '',
    report.passed
      ? 'all four gates passed'
      : `gates failed: ${failedGates(report)
          .map((g) => g.gate)
          .join(', ')}`,
  );
  return `${lines.join('\n')}\n`;
}

function formatPointwiseGates(
  d: DiscriminativeResult | PairDiscriminativeResult,
  a: AdversarialResult | PairAdversarialResult,
): string[] {
  if ('kind' in d || 'kind' in a) return [];
  const mark = (ok: boolean) => (ok ? 'PASS' : 'FAIL');
  return [
    `${mark(d.passed)} discriminative: pass rate ${pct(d.pass_rate?.value)} ${ci(d.pass_rate?.ci95)} (bounds ${d.thresholds.pass_rate.join('–')})`,
    `     Cohen's κ ${pct(d.kappa?.kappa)} ${ci(d.kappa?.ci95)} (min ${d.thresholds.min_kappa}); TPR ${pct(d.tpr?.value)} ${ci(d.tpr?.ci95)} (min ${d.thresholds.min_tpr}); TNR ${pct(d.tnr?.value)} ${ci(d.tnr?.ci95)} (min ${d.thresholds.min_tnr})`,
    `     confusion (label × verdict): good/pass ${d.confusion.tp}, good/fail ${d.confusion.fn}, bad/pass ${d.confusion.fp}, bad/fail ${d.confusion.tn}`,
    `     criteria: ${d.criteria.map((s) => `${s.id} (w ${s.weight}) ${s.scored === 0 ? 'not scored by this judge' : s.constant ? 'CONSTANT' : `${s.distinct} distinct score(s)`}`).join('; ')}`,
    `     self-consistency: ${d.self_consistency ? `${d.self_consistency.samples} sample(s), mean agreement ${pct(d.self_consistency.mean_agreement)}, mean score variance ${d.self_consistency.mean_score_variance.toFixed(4)}` : 'n/a (no k extra samples)'}`,
    `${mark(a.passed)} adversarial: ${a.failed}/${a.n} attack(s) failed`,
    ...a.attacks.map(
      (x) =>
        `     ${x.verdict === 'fail' ? 'ok  ' : 'HOLE'} ${x.attack} (${x.sample_id}): ${x.verdict}${x.score === null ? '' : ` ${x.score.toFixed(3)}`}`,
    ),
  ];
}
