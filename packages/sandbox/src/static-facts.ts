import type { Diagnostic, ToolFacts } from '@gavel/core';
import { z } from 'zod';

/** One entry of ruff's JSON output (`--output-format json`; the analysis server emits the same shape). */
export const RuffJsonDiagnostic = z.object({
  code: z.string().nullable(),
  message: z.string(),
  filename: z.string().optional(),
  location: z.object({ row: z.number(), column: z.number() }).optional(),
});

export const RuffResult = z.object({
  version: z.string(),
  duration_ms: z.number(),
  diagnostics: z.array(RuffJsonDiagnostic),
  error: z.string().optional(),
});
export type RuffResult = z.infer<typeof RuffResult>;

/** pyright `--outputjson` (the fields gavel reads). */
export const PyrightJson = z.object({
  version: z.string().optional(),
  generalDiagnostics: z.array(
    z.object({
      file: z.string().optional(),
      severity: z.enum(['error', 'warning', 'information']),
      message: z.string(),
      rule: z.string().optional(),
      range: z.object({ start: z.object({ line: z.number() }) }).optional(),
    }),
  ),
  summary: z.object({ errorCount: z.number(), warningCount: z.number() }).passthrough(),
});
export type PyrightJson = z.infer<typeof PyrightJson>;

export const PyrightResult = z.object({
  version: z.string(),
  exit_code: z.number().int().nullable(),
  duration_ms: z.number(),
  timed_out: z.boolean().optional(),
  /** How many samples' requests the pyright run checked together. */
  batch_size: z.number().int().optional(),
  report: PyrightJson.nullable(),
});
export type PyrightResult = z.infer<typeof PyrightResult>;

/** Syntax errors (no code) and E9xx/F-codes that make the program invalid are errors; the rest warnings. */
function ruffSeverity(code: string | null): Diagnostic['severity'] {
  if (code === null || code.startsWith('E9') || code === 'F821' || code === 'F822') return 'error';
  return 'warning';
}

export function ruffFacts(r: RuffResult): ToolFacts {
  const diagnostics: Diagnostic[] = r.diagnostics.map((d) => ({
    code: d.code ?? 'syntax-error',
    message: d.message,
    severity: ruffSeverity(d.code),
    ...(d.location ? { line: d.location.row } : {}),
  }));
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  return {
    version: r.version,
    exit_code: r.error !== undefined ? null : diagnostics.length > 0 ? 1 : 0,
    duration_ms: r.duration_ms,
    errors,
    warnings: diagnostics.length - errors,
    diagnostics,
  };
}

/** The harness's own diagnostic when pyright checked the sample alone and gave no report. */
export const PYRIGHT_NO_REPORT = 'gavel-pyright-no-report';

/**
 * pyright's facts. A run with no report (the analysis server reaches this only for a sample checked
 * alone: a batch of several with no report is transient) is not a clean one: the facts carry one
 * error of the harness, {@link PYRIGHT_NO_REPORT}, saying why, so `pyright.clean` fails and a reader
 * of the facts sees that pyright never answered.
 */
export function pyrightFacts(r: PyrightResult): ToolFacts {
  const report = r.report;
  if (!report) {
    const why = r.timed_out
      ? `pyright did not finish within its time limit on this sample (killed after ${Math.round(r.duration_ms)} ms); its code was not type-checked`
      : `pyright gave no report on this sample (exit code ${r.exit_code ?? 'none'}); its code was not type-checked`;
    return {
      version: r.version,
      exit_code: null,
      duration_ms: r.duration_ms,
      errors: 1,
      warnings: 0,
      diagnostics: [{ code: PYRIGHT_NO_REPORT, message: why, severity: 'error' }],
    };
  }
  const diagnostics: Diagnostic[] = report.generalDiagnostics.map((d) => ({
    code: d.rule ?? 'pyright',
    message: d.message,
    severity: d.severity,
    ...(d.range ? { line: d.range.start.line + 1 } : {}),
  }));
  return {
    version: r.version,
    exit_code: r.exit_code,
    duration_ms: r.duration_ms,
    errors: report.summary.errorCount,
    warnings: report.summary.warningCount,
    diagnostics,
  };
}
