import { readFileSync } from 'node:fs';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';

interface State {
  filters: Set<string>;
  crit: string;
  below: number | null;
  q: string;
  sort: number;
  dir: number;
  sample: string;
}
interface PageView {
  filtersFor(hasBase: boolean): Array<[string, string, string]>;
  parseFragment(hash: string, data: unknown): State;
  fragmentOf(state: State, columns: unknown): string;
  selectRows(data: unknown, state: State, haystack: (i: number) => string): number[];
}

/** The page's own view script, run as the browser runs it (a classic script that sets `window.gavelView`). */
function pageView(): PageView {
  const window: { gavelView?: PageView } = {};
  runInNewContext(readFileSync(new URL('./review-page-view.js', import.meta.url), 'utf8'), {
    window,
    URLSearchParams,
  });
  return window.gavelView as PageView;
}

const data = {
  has_base: true,
  criteria: ['tests'],
  columns: [{ key: 'sample_id' }, { key: 'score' }, { key: 'crit:tests' }],
  rows: [
    { id: 'a', c: ['a', 0.9, 0.2], t: ['flip', 'fix'] },
    { id: 'b', c: ['b', 0.1, 0.8], t: ['failed', 'flip', 'regression'] },
    { id: 'c', c: ['c', null, null], t: ['failed', 'error'] },
    { id: 'd', c: ['d', 0.5, 0.1], t: ['failed', 'routed'] },
  ],
};
const none: State = { filters: new Set(), crit: '', below: null, q: '', sort: -1, dir: 1, sample: '' };

describe('the review page view state', () => {
  const view = pageView();

  it('reads a fragment and writes it back the same', () => {
    const hash = 'filter=failed%2Crouted&crit=tests&below=0.3&q=eval&sort=score&dir=desc&sample=d';
    const state = view.parseFragment(`#${hash}`, data);
    expect({ ...state, filters: [...state.filters] }).toEqual({
      filters: ['failed', 'routed'],
      crit: 'tests',
      below: 0.3,
      q: 'eval',
      sort: 1,
      dir: -1,
      sample: 'd',
    });
    expect(view.fragmentOf(state, data.columns)).toBe(hash);
  });

  it('ignores unknown filters and criteria, and the flip filters on a page without a base', () => {
    const state = view.parseFragment('#filter=flips,bogus,routed&crit=nope&below=x', { ...data, has_base: false });
    expect([...state.filters]).toEqual(['routed']);
    expect(state.crit).toBe('');
    expect(state.below).toBeNull();
    expect(view.filtersFor(false).map(([name]) => name)).toEqual([
      'failed',
      'routed',
      'low-agreement',
      'safety',
      'errors',
    ]);
  });

  it('selects rows carrying every filter tag, under the criterion threshold, matching the search', () => {
    const ids = (state: Partial<State>, haystack = (i: number) => data.rows[i]?.id ?? '') =>
      view.selectRows(data, { ...none, ...state }, haystack).map((i) => data.rows[i]?.id);
    expect(ids({ filters: new Set(['flips']) })).toEqual(['a', 'b']);
    expect(ids({ filters: new Set(['flips', 'failed']) })).toEqual(['b']);
    expect(ids({ filters: new Set(['regressions']) })).toEqual(['b']);
    expect(ids({ crit: 'tests', below: 0.25 })).toEqual(['a', 'd']);
    expect(ids({ q: ' C ' })).toEqual(['c']);
  });

  it('sorts by a column both ways, stable, with empty cells last', () => {
    const ids = (sort: number, dir: number) =>
      view.selectRows(data, { ...none, sort, dir }, () => '').map((i) => data.rows[i]?.id);
    expect(ids(1, 1)).toEqual(['b', 'd', 'a', 'c']);
    expect(ids(1, -1)).toEqual(['a', 'd', 'b', 'c']);
  });
});
