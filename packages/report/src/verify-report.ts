import type { JudgeAgreement } from './judge-agreement.ts';
import { formatMismatch, type Mismatch } from './verify-mismatch.ts';

/** Exit status of `gavel verify` when anything re-derived differs from the record. */
export const VERIFY_EXIT_MISMATCH = 4;
/** Exit status when nothing differed but a check could not be made (e.g. no Docker engine to ask). */
export const VERIFY_EXIT_UNCHECKED = 5;

/** One check `gavel verify` made (or could not make), for the summary. */
export interface VerifyCheck {
  name: string;
  status: 'ok' | 'mismatch' | 'unchecked' | 'skipped';
  detail: string;
}

/** What `gavel verify` found (its `--json`). */
export interface VerifyReport {
  run_id: string;
  checks: VerifyCheck[];
  samples: {
    total: number;
    /** Facts-only verdicts re-derived from the facts and the pinned rubric. */
    facts_only_rederived: number;
    /** LLM judgements whose routing was re-derived from the judgement and the manifest's thresholds. */
    routing_rederived: number;
    /** Routed for `safety` by an extra self-consistency answer, which the run does not record: not re-derivable. */
    safety_from_extra_answers: number;
    failed: number;
    pending: number;
  };
  mismatches: Mismatch[];
  judge_sample: JudgeAgreement | null;
  exit_code: number;
}

/** 0 when everything matched, {@link VERIFY_EXIT_MISMATCH} on any mismatch, else {@link VERIFY_EXIT_UNCHECKED} when a check could not be made. */
export function verifyExitCode(mismatches: readonly Mismatch[], checks: readonly VerifyCheck[]): number {
  if (mismatches.length > 0 || checks.some((c) => c.status === 'mismatch')) return VERIFY_EXIT_MISMATCH;
  if (checks.some((c) => c.status === 'unchecked')) return VERIFY_EXIT_UNCHECKED;
  return 0;
}

/** The text `gavel verify` prints: one line per mismatch, then one per check, then the judge agreement. */
export function formatVerifyReport(report: Omit<VerifyReport, 'exit_code'>): string[] {
  const lines = report.mismatches.map(formatMismatch);
  for (const check of report.checks)
    lines.push(`${check.status === 'ok' ? 'ok' : check.status}: ${check.name}: ${check.detail}`);
  const s = report.samples;
  lines.push(
    `samples: ${s.total} (${s.facts_only_rederived} facts-only verdicts and ${s.routing_rederived} routing decisions re-derived, ${s.failed} failed, ${s.pending} pending)`,
  );
  if (s.safety_from_extra_answers > 0) {
    lines.push(
      `note: ${s.safety_from_extra_answers} sample(s) routed for safety by an extra self-consistency answer, which the run does not record; that reason could not be re-derived`,
    );
  }
  const j = report.judge_sample;
  if (j) {
    lines.push(
      j.asked === 0
        ? 'judge sample: no LLM-judged sample to ask again'
        : `judge sample: asked ${j.asked} sample(s) again of the pinned judge: ${j.same_verdict}/${j.asked} same verdict (${((j.agreement ?? 0) * 100).toFixed(1)}%), ${j.identical} identical answers, mean |score difference| ${(j.mean_abs_score_diff ?? 0).toFixed(3)} (reported, not asserted: vLLM is deterministic only for the same batch shape)`,
    );
    for (const d of j.differing) {
      lines.push(
        `judge sample ${d.sample_id}: recorded pass=${d.recorded_pass} score=${d.recorded_score}, asked again pass=${d.rederived_pass} score=${d.rederived_score}`,
      );
    }
  }
  return lines;
}
