import { describe, expect, it } from 'vitest';
import { record, verdict } from '../../../test/support/export-records.ts';
import { reviewCsv } from './review-csv.ts';
import { reviewMatrix } from './review-matrix.ts';

describe('reviewCsv', () => {
  it('writes the matrix columns as the header and one CRLF record per sample, quoted and defused', () => {
    const run = {
      manifest: null,
      records: [
        record('r', 's1', { task_id: 'T1', verdict: verdict(true, 1, { criteria: [] }) }),
        record('r', 's2', {
          task_id: '=cmd|" /C calc"!A0',
          verdict: verdict(false, 0.25, { criteria: [{ id: 'style', score: 0.5, finding: null }] }),
          facts: null,
        }),
      ],
    };
    expect(reviewCsv(reviewMatrix(run))).toBe(
      'task_id,sample_id,verdict,score,crit:style,tests_passed,tests_total,ruff_errors,pyright_errors,timed_out,oom_killed,route,route_reasons,agreement,arbiter\r\n' +
        'T1,s1,pass,1,,3,3,0,0,false,false,final,,1,\r\n' +
        `"'=cmd|"" /C calc""!A0",s2,fail,0.25,0.5,,,,,,,final,,1,\r\n`,
    );
  });
});
