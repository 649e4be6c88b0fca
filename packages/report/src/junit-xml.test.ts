import { describe, expect, it } from 'vitest';
import { record, verdict } from '../../../test/support/export-records.ts';
import { junitXml } from './junit-xml.ts';

describe('junitXml', () => {
  it('writes one testcase per sample: a failure carries the rationale, a failed-to-grade sample is an error', () => {
    const run = {
      manifest: null,
      records: [
        record('run-1', 'ok', { task_id: 'T1' }),
        record('run-1', 'bad', {
          task_id: 'T<2>',
          verdict: verdict(false, 0.25, { rationale: 'uses </failure> & "quotes"\u0000\u001B here' }),
        }),
        record('run-1', 'lost', {
          task_id: 'T3',
          status: 'failed',
          verdict: null,
          failure: { stage: 'judge', code: 'transient_exhausted', reason: 'judge 503 <x>', at: '2026-12-01T00:00:00Z' },
        }),
        record('run-1', 'later', { task_id: 'T4', status: 'pending', verdict: null }),
      ],
    };
    expect(junitXml(run)).toBe(
      [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<testsuites name="gavel run-1" tests="4" failures="1" errors="1" skipped="1">',
        '  <testsuite name="run-1" tests="4" failures="1" errors="1" skipped="1">',
        '    <testcase classname="T1" name="ok" time="1.200"/>',
        '    <testcase classname="T&lt;2&gt;" name="bad" time="1.200">',
        '      <failure message="fail: score 0.25 (judge)" type="verdict">uses &lt;/failure&gt; &amp; &quot;quotes&quot; here</failure>',
        '    </testcase>',
        '    <testcase classname="T3" name="lost" time="1.200">',
        '      <error message="judge: transient_exhausted" type="transient_exhausted">judge 503 &lt;x&gt;</error>',
        '    </testcase>',
        '    <testcase classname="T4" name="later" time="1.200">',
        '      <skipped message="no verdict yet"/>',
        '    </testcase>',
        '  </testsuite>',
        '</testsuites>',
        '',
      ].join('\n'),
    );
  });
});
