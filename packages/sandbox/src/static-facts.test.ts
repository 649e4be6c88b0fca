import { describe, expect, it } from 'vitest';
import { pyrightFacts, ruffFacts } from './static-facts.ts';

describe('ruffFacts', () => {
  it('maps ruff JSON diagnostics, syntax errors as errors', () => {
    const f = ruffFacts({
      version: '0.17.4',
      duration_ms: 2,
      diagnostics: [
        { code: 'F401', message: '`os` imported but unused', filename: 'solution.py', location: { row: 1, column: 8 } },
        { code: null, message: 'SyntaxError: Expected an expression', location: { row: 3, column: 1 } },
      ],
    });
    expect(f).toMatchObject({ version: '0.17.4', exit_code: 1, errors: 1, warnings: 1 });
    expect(f.diagnostics[0]).toEqual({
      code: 'F401',
      message: '`os` imported but unused',
      severity: 'warning',
      line: 1,
    });
    expect(f.diagnostics[1]?.code).toBe('syntax-error');
  });
  it('clean source: exit 0, no diagnostics', () => {
    expect(ruffFacts({ version: 'v', duration_ms: 1, diagnostics: [] })).toMatchObject({
      exit_code: 0,
      errors: 0,
      warnings: 0,
    });
  });
});

describe('pyrightFacts', () => {
  it('reads pyright --outputjson counts and diagnostics (0-based line → 1-based)', () => {
    const f = pyrightFacts({
      version: '1.1.414',
      exit_code: 1,
      duration_ms: 900,
      report: {
        generalDiagnostics: [
          {
            file: 'solution.py',
            severity: 'error',
            message: 'x is not defined',
            rule: 'reportUndefinedVariable',
            range: { start: { line: 4 } },
          },
        ],
        summary: { errorCount: 1, warningCount: 0 },
      },
    });
    expect(f).toMatchObject({ exit_code: 1, errors: 1, warnings: 0 });
    expect(f.diagnostics[0]).toEqual({
      code: 'reportUndefinedVariable',
      message: 'x is not defined',
      severity: 'error',
      line: 5,
    });
  });
  it('no report (pyright killed on the sample alone): exit code null and one error of the harness, so not clean', () => {
    const f = pyrightFacts({
      version: 'v',
      exit_code: null,
      duration_ms: 60012.4,
      timed_out: true,
      batch_size: 1,
      report: null,
    });
    expect(f).toMatchObject({ exit_code: null, errors: 1, warnings: 0 });
    expect(f.diagnostics).toEqual([
      {
        code: 'gavel-pyright-no-report',
        severity: 'error',
        message:
          'pyright did not finish within its time limit on this sample (killed after 60012 ms); its code was not type-checked',
      },
    ]);
  });
  it('no report and no timeout (pyright crashed): also an error of the harness, naming the exit code', () => {
    const f = pyrightFacts({ version: 'v', exit_code: 3, duration_ms: 5, report: null });
    expect(f.errors).toBe(1);
    expect(f.diagnostics[0]?.message).toBe(
      'pyright gave no report on this sample (exit code 3); its code was not type-checked',
    );
  });
});
