import { verdictLabel } from './review-matrix.ts';
import type { RunRecords } from './run-records.ts';
import { escapeXml } from './xml-text.ts';

function attr(value: string | number): string {
  return `"${escapeXml(String(value))}"`;
}

/**
 * A run as JUnit XML, so CI systems show it natively: one `<testcase>` per sample (classname the task,
 * name the sample id); a failing verdict is a `<failure>` carrying the score and the rationale, a sample
 * that could not be graded is an `<error>` with its recorded reason, and one still pending is `<skipped>`.
 * Every text is XML-escaped and characters XML 1.0 forbids are dropped.
 */
export function junitXml(run: RunRecords): string {
  const runId = run.manifest?.run_id ?? run.records[0]?.run_id ?? 'gavel';
  const counts = { tests: 0, failures: 0, errors: 0, skipped: 0 };
  const cases: string[] = [];
  for (const record of run.records) {
    counts.tests += 1;
    const label = verdictLabel(record);
    const classname = record.task_id ?? record.kind;
    const seconds = ((record.facts?.duration_ms ?? 0) / 1000).toFixed(3);
    const open = `    <testcase classname=${attr(classname)} name=${attr(record.sample_id)} time=${attr(seconds)}`;
    const verdict = record.verdict;
    if (label === 'pass') {
      cases.push(`${open}/>`);
    } else if (label === 'fail' && verdict) {
      counts.failures += 1;
      const message = `fail: score ${verdict.score} (${verdict.source})`;
      cases.push(
        `${open}>\n      <failure message=${attr(message)} type="verdict">${escapeXml(verdict.rationale)}</failure>\n    </testcase>`,
      );
    } else if (label === 'error') {
      counts.errors += 1;
      const failure = record.failure;
      const message = failure ? `${failure.stage}: ${failure.code}` : 'failed without a recorded reason';
      cases.push(
        `${open}>\n      <error message=${attr(message)} type=${attr(failure?.code ?? 'failed')}>${escapeXml(failure?.reason ?? '')}</error>\n    </testcase>`,
      );
    } else {
      counts.skipped += 1;
      cases.push(`${open}>\n      <skipped message="no verdict yet"/>\n    </testcase>`);
    }
  }
  const totals = `tests=${attr(counts.tests)} failures=${attr(counts.failures)} errors=${attr(counts.errors)} skipped=${attr(counts.skipped)}`;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name=${attr(`gavel ${runId}`)} ${totals}>`,
    `  <testsuite name=${attr(runId)} ${totals}>`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
