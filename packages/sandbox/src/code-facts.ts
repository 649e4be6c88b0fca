import type { Facts, PointwiseSample } from '@gavel/core';
import type { Analysis } from './analysis-container.ts';
import { fabricatedClaims } from './claims.ts';
import type { ExecResult } from './exec-container.ts';
import { junitFacts } from './junit-facts.ts';
import type { CappedLimit, RunLimits } from './run-limits.ts';
import type { RunnerOutput } from './runner-output.ts';
import { pyrightFacts, ruffFacts } from './static-facts.ts';
import type { Workspace } from './workspace-tar.ts';

export interface CodeRun {
  sample: PointwiseSample;
  ws: Workspace;
  run: ExecResult;
  /** The runner's verified document (null: none, or a limit was hit). */
  out: RunnerOutput | null;
  analysis: Analysis;
  analysisMs: number;
  /** From the execution slot being taken until the container exited. */
  engineMs: number;
  totalMs: number;
  image: string;
  digest: string;
  limits: RunLimits;
  capped: CappedLimit[];
}

/** A code sample's facts from its analysis and its execution (tests only from the verified report). */
export function codeFactsOf(c: CodeRun): Facts {
  const { ws, run: r, out } = c;
  const tests = ws.expected > 0 || ws.tests.source ? junitFacts(out?.junit_xml ?? null, ws.expected) : null;
  const ruff = ruffFacts(c.analysis.ruff);
  if (c.analysis.skipped.length > 0) {
    ruff.diagnostics.push(
      ...c.analysis.skipped.map((s) => ({
        code: 'gavel-too-large',
        message: `${s.file}: ${s.reason}, not analysed`,
        severity: 'error' as const,
      })),
    );
    ruff.errors += c.analysis.skipped.length;
  }
  const pyright = pyrightFacts(c.analysis.pyright);
  const facts: Facts = {
    kind: 'code',
    reference: null,
    tests,
    ruff,
    pyright,
    exit_code: out ? out.exit_code : r.exit_code,
    duration_ms: c.totalMs,
    timed_out: r.timed_out || out?.timed_out === true,
    oom_killed: r.oom_killed,
    output_truncated: r.output_truncated || out?.output_truncated === true,
    fabricated_claim: [],
    sandbox: {
      image: c.image,
      image_digest: c.digest,
      split_ms: {
        container: Math.max(0, c.engineMs - (out?.duration_ms ?? r.run_ms)),
        analysis: c.analysisMs,
        analysis_queue: c.analysis.queued_ms,
        execution: out?.duration_ms ?? r.run_ms,
      },
      limits: c.limits,
      capped: c.capped,
    },
  };
  facts.fabricated_claim = fabricatedClaims(c.sample.claims, facts);
  return facts;
}
