import { describe, expect, it } from 'vitest';
import { manifest, RUBRIC, record, verdict } from '../../../test/support/export-records.ts';
import { compareRuns } from './compare.ts';
import { reviewComparisonView } from './review-comparison.ts';
import { manifestItems } from './review-header.ts';
import type { RunRecords } from './run-records.ts';

function runOf(id: string, passes: boolean[], model: string): RunRecords {
  return {
    manifest: manifest(id),
    records: passes.map((pass, i) =>
      record(id, `${id}-${i}`, {
        task_id: `T${i}`,
        sut: { model, family: 'f' },
        verdict: verdict(pass, pass ? 0.9 : 0.1),
      }),
    ),
  };
}

describe('reviewComparisonView', () => {
  it('heads the page with the decision, links to the flips and the manifest differences, escaped', () => {
    const base = runOf('base', [true, true, false, true], 'sut-<old>');
    const candidate = runOf('cand', [true, false, true, false], 'sut-new');
    const view = reviewComparisonView(base, candidate, compareRuns(base, candidate));
    expect(view.title).toBe('gavel review — run cand against base');
    expect(view.headerHtml).toContain('<div class="decision unchanged">no significant change: ');
    expect(view.headerHtml).toContain('<a href="#filter=regressions">2</a>');
    expect(view.headerHtml).toContain('<a href="#filter=fixes">1</a>');
    expect(view.headerHtml).toContain('<td>sut.model</td><td>sut-&lt;old&gt;</td><td>sut-new</td>');
    expect(view.headerHtml).not.toContain('not like for like');
    expect([...view.base.regressions].sort()).toEqual(['cand-1', 'cand-3']);
    expect([...view.base.fixes]).toEqual(['cand-2']);
    expect(view.base.pairOf('cand-2')?.sample_id).toBe('base-2');
    expect(view.chartsHtml).toHaveLength(2);
  });

  it('says so when the rubrics differ and the comparison was allowed anyway', () => {
    const base = runOf('base', [true, false], 'm');
    const candidate = runOf('cand', [true, true], 'm');
    const other = { ...RUBRIC, version: '1.3.0', hash: 'e'.repeat(64) };
    candidate.manifest = { ...(candidate.manifest as NonNullable<RunRecords['manifest']>), rubrics: { code: other } };
    candidate.records = candidate.records.map((r) => ({ ...r, rubric: other }));
    const view = reviewComparisonView(base, candidate, compareRuns(base, candidate, { allowRubricChange: true }));
    expect(view.headerHtml).toContain(
      'The rubrics differ (--allow-rubric-change): no figure here compares like for like.',
    );
  });
});

describe('manifestItems', () => {
  it('says what is unknown for an export without its manifest', () => {
    const items = manifestItems({ manifest: null, records: [record('old-run', 'a')] }).join('');
    expect(items).toContain('none beside the export: only what the records say is known');
    expect(items).toContain(`code-correctness@1.2.0 ${'a'.repeat(64)}`);
  });
});
