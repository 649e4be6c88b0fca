// The review page's view state, as pure functions (no DOM): the filters, the URL fragment that holds
// them, and which rows they select in which order. Inlined before review-page.js (review-html.ts);
// review-page.js uses `window.gavelView`. review-page-view.test.ts runs this file in Node.
window.gavelView = (() => {
  /** Filter names as they appear in the URL fragment, the row tag each selects, and its button label. */
  const ALL_FILTERS = [
    ['failed', 'failed', 'not passed'],
    ['flips', 'flip', 'flips'],
    ['regressions', 'regression', 'regressions'],
    ['fixes', 'fix', 'fixes'],
    ['routed', 'routed', 'routed'],
    ['low-agreement', 'low_agreement', 'low agreement'],
    ['safety', 'safety', 'safety findings'],
    ['errors', 'error', 'failed to grade'],
  ];
  const BASE_TAGS = new Set(['flip', 'regression', 'fix']);

  /** The filters a page offers: the flip filters only when it compares against a base. */
  function filtersFor(hasBase) {
    return ALL_FILTERS.filter(([, tag]) => hasBase || !BASE_TAGS.has(tag));
  }

  /** The state a fragment (`#filter=a,b&crit=id&below=x&q=text&sort=key&dir=desc&sample=id`) asks for. */
  function parseFragment(hash, data) {
    const params = new URLSearchParams(hash.replace(/^#/, ''));
    const names = new Set(filtersFor(data.has_base).map(([name]) => name));
    const crit = params.get('crit');
    const below = Number.parseFloat(params.get('below') ?? '');
    const sortKey = params.get('sort');
    return {
      filters: new Set((params.get('filter') ?? '').split(',').filter((f) => names.has(f))),
      crit: crit !== null && data.criteria.includes(crit) ? crit : '',
      below: Number.isFinite(below) ? below : null,
      q: params.get('q') ?? '',
      sort: sortKey ? data.columns.findIndex((c) => c.key === sortKey) : -1,
      dir: params.get('dir') === 'desc' ? -1 : 1,
      sample: params.get('sample') ?? '',
    };
  }

  /** The fragment of a state (empty when nothing is set); `parseFragment` reads it back. */
  function fragmentOf(state, columns) {
    const params = new URLSearchParams();
    if (state.filters.size > 0) params.set('filter', [...state.filters].join(','));
    if (state.crit) params.set('crit', state.crit);
    if (state.crit && state.below !== null) params.set('below', String(state.below));
    if (state.q) params.set('q', state.q);
    if (state.sort >= 0) {
      params.set('sort', columns[state.sort].key);
      params.set('dir', state.dir < 0 ? 'desc' : 'asc');
    }
    if (state.sample) params.set('sample', state.sample);
    return params.toString();
  }

  /**
   * The indices of the rows the state selects — every filter's tag present, the criterion below the
   * threshold, the search text in `haystack(i)` (lower case) — sorted by the sort column (stable;
   * empty cells last in either direction).
   */
  function selectRows(data, state, haystack) {
    const tagOf = new Map(ALL_FILTERS.map(([name, tag]) => [name, tag]));
    const tags = [...state.filters].map((f) => tagOf.get(f));
    const crit =
      state.crit && state.below !== null ? data.columns.findIndex((c) => c.key === `crit:${state.crit}`) : -1;
    const q = state.q.trim().toLowerCase();
    const out = [];
    for (let i = 0; i < data.rows.length; i++) {
      const r = data.rows[i];
      if (tags.some((t) => !r.t.includes(t))) continue;
      if (crit >= 0) {
        const v = r.c[crit];
        if (v === null || !(v < state.below)) continue;
      }
      if (q && !haystack(i).includes(q)) continue;
      out.push(i);
    }
    if (state.sort >= 0) {
      const k = state.sort;
      const dir = state.dir;
      out.sort((a, b) => {
        const x = data.rows[a].c[k];
        const y = data.rows[b].c[k];
        if (x === y) return a - b;
        if (x === null) return 1;
        if (y === null) return -1;
        return (x < y ? -1 : 1) * dir;
      });
    }
    return out;
  }

  return { filtersFor, parseFragment, fragmentOf, selectRows };
})();
