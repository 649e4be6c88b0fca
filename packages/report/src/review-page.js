// The review matrix page's script (runs in the browser, inlined by review-html.ts under a CSP hash).
// Every piece of sample data reaches the DOM through textContent or a CSSOM property, never as markup.
(() => {
  const data = JSON.parse(document.getElementById('gavel-data').textContent);
  // The details (prompt, output, tests, rationales) are most of the file: parsed on first use only.
  let details = null;
  function detailsOf(i) {
    details ??= JSON.parse(document.getElementById('gavel-details').textContent);
    return details[i];
  }
  // The images (data URLs by sha256, built from the image store's bytes): parsed on first use too.
  let images = null;
  function imageSrc(sha256) {
    images ??= JSON.parse(document.getElementById('gavel-images').textContent);
    return Object.hasOwn(images, sha256) ? images[sha256] : undefined;
  }
  const columns = data.columns;
  const rows = data.rows;
  const ROW_H = 26;
  const WIDTHS = { text: 150, verdict: 74, score: 70, count: 64, bool: 66, flip: 92, number: 70 };
  const WIDE = {
    sample_id: 190,
    task_id: 140,
    route: 70,
    route_reasons: 190,
    agreement: 84,
    arbiter: 100,
  };
  const pageView = window.gavelView;
  const FILTERS = pageView.filtersFor(data.has_base);

  const state = { filters: new Set(), crit: '', below: null, q: '', sort: -1, dir: 1, sample: '' };
  let view = [];
  let selected = -1;

  const $ = (id) => document.getElementById(id);
  const { el, detailNodes } = window.gavelDom;

  const viewport = $('viewport');
  const head = $('grid-head');
  const body = $('grid-body');
  const countEl = $('count');
  const search = $('search');
  const critSelect = $('crit');
  const belowInput = $('below');
  const detail = $('detail');

  // Column layout: fixed widths, so the virtual rows line up with the header.
  const widths = columns.map(
    (c) => WIDE[c.key] ?? Math.max(WIDTHS[c.type] ?? 90, Math.ceil(c.label.length * 7.4 + 24)),
  );
  const matrix = $('matrix');
  matrix.style.setProperty('--cols', widths.map((w) => `${w}px`).join(' '));
  matrix.style.setProperty('--width', `${widths.reduce((a, b) => a + b, 0)}px`);

  // ---- the URL fragment holds the whole filter state ----
  function readHash() {
    Object.assign(state, pageView.parseFragment(location.hash, data));
  }
  function writeHash() {
    const hash = pageView.fragmentOf(state, columns);
    history.replaceState(null, '', hash ? `#${hash}` : location.pathname + location.search);
  }

  // ---- filtering and sorting ----
  const haystacks = new Array(rows.length);
  function haystack(i) {
    if (haystacks[i] === undefined) {
      const r = rows[i];
      const d = detailsOf(i);
      haystacks[i] = [
        ...r.c.map((v) => (v === null ? '' : String(v))),
        d.judge_rationale ?? '',
        d.arbiter_rationale ?? '',
        d.output ?? '',
        d.pair ? `${d.pair.a.text}\n${d.pair.b.text}\n${d.pair.orders.map((o) => o.rationale).join('\n')}` : '',
        d.failure ?? '',
      ]
        .join('\n')
        .toLowerCase();
    }
    return haystacks[i];
  }
  function compute() {
    view = pageView.selectRows(data, state, haystack);
  }

  // ---- rendering ----
  function cell(column, value) {
    const span = el('span');
    if (value === null || value === '') return span;
    switch (column.type) {
      case 'verdict':
        span.className = `v v-${value}`;
        span.textContent = value;
        break;
      case 'score':
        span.className = 'num';
        span.textContent = value.toFixed(2);
        span.style.backgroundColor = `hsl(${Math.round(value * 120)}, 62%, ${86 - Math.round(value * 6)}%)`;
        break;
      case 'count':
        span.className = value > 0 ? 'num bad' : 'num';
        span.textContent = String(value);
        break;
      case 'bool':
        span.className = value ? 'bad' : '';
        span.textContent = value ? 'yes' : '';
        break;
      case 'flip':
        span.className = `flip-${value}`;
        span.textContent = value;
        break;
      case 'number':
        span.className = 'num';
        span.textContent = String(value);
        break;
      default:
        span.textContent = String(value);
    }
    span.title = String(value);
    return span;
  }
  function renderHead() {
    head.replaceChildren(
      ...columns.map((column, k) => {
        const button = el('button', '', column.label);
        button.type = 'button';
        button.title = `sort by ${column.label}`;
        button.dataset.col = column.key;
        if (state.sort === k) button.setAttribute('aria-sort', state.dir < 0 ? 'descending' : 'ascending');
        button.addEventListener('click', () => {
          if (state.sort === k) state.dir = -state.dir;
          else {
            state.sort = k;
            state.dir = 1;
          }
          update();
        });
        return button;
      }),
    );
  }
  function renderRows() {
    body.style.height = `${Math.max(view.length * ROW_H, ROW_H)}px`;
    if (view.length === 0) {
      body.replaceChildren(el('div', 'empty', 'No sample matches these filters.'));
      return;
    }
    const top = Math.max(0, viewport.scrollTop - head.offsetHeight);
    const first = Math.max(0, Math.floor(top / ROW_H) - 8);
    const last = Math.min(view.length, first + Math.ceil(viewport.clientHeight / ROW_H) + 16);
    const out = [];
    for (let p = first; p < last; p++) {
      const i = view[p];
      const r = rows[i];
      const row = el('div', i === selected ? 'row selected' : 'row');
      row.setAttribute('role', 'row');
      row.tabIndex = 0;
      row.dataset.sample = r.id;
      row.style.top = `${p * ROW_H}px`;
      for (let k = 0; k < columns.length; k++) row.append(cell(columns[k], r.c[k]));
      row.addEventListener('click', () => openDetail(i));
      row.addEventListener('keydown', (event) => {
        if (event.key === 'Enter') openDetail(i);
      });
      out.push(row);
    }
    body.replaceChildren(...out);
  }
  let frame = 0;
  viewport.addEventListener('scroll', () => {
    if (frame) return;
    frame = requestAnimationFrame(() => {
      frame = 0;
      renderRows();
    });
  });
  window.addEventListener('resize', () => renderRows());

  function syncControls() {
    for (const button of document.querySelectorAll('[data-filter]'))
      button.setAttribute('aria-pressed', String(state.filters.has(button.dataset.filter)));
    if (search.value !== state.q) search.value = state.q;
    critSelect.value = state.crit;
    belowInput.value = state.below === null ? '' : String(state.below);
    countEl.textContent = `${view.length} of ${rows.length} samples`;
  }
  function update() {
    compute();
    writeHash();
    renderHead();
    syncControls();
    renderRows();
  }

  // ---- controls ----
  const filterBar = $('filters');
  const totals = new Map(FILTERS.map(([name, tag]) => [name, rows.filter((r) => r.t.includes(tag)).length]));
  for (const [name, , label] of FILTERS) {
    const button = el('button', '', `${label} (${totals.get(name)})`);
    button.type = 'button';
    button.dataset.filter = name;
    button.addEventListener('click', () => {
      if (state.filters.has(name)) state.filters.delete(name);
      else state.filters.add(name);
      viewport.scrollTop = 0;
      update();
    });
    filterBar.append(button);
  }
  critSelect.append(el('option', '', 'criterion…'));
  critSelect.firstChild.value = '';
  for (const id of data.criteria) {
    const option = el('option', '', id);
    option.value = id;
    critSelect.append(option);
  }
  critSelect.addEventListener('change', () => {
    state.crit = critSelect.value;
    if (state.crit && state.below === null) state.below = 0.5;
    update();
  });
  belowInput.addEventListener('input', () => {
    const v = Number.parseFloat(belowInput.value);
    state.below = Number.isFinite(v) ? v : null;
    update();
  });
  let typing = 0;
  search.addEventListener('input', () => {
    clearTimeout(typing);
    typing = setTimeout(() => {
      state.q = search.value;
      viewport.scrollTop = 0;
      update();
    }, 120);
  });
  $('clear').addEventListener('click', () => {
    state.filters.clear();
    state.crit = '';
    state.below = null;
    state.q = '';
    state.sort = -1;
    update();
  });

  // ---- the detail of one sample ----
  function openDetail(i) {
    selected = i;
    state.sample = rows[i].id;
    writeHash();
    showDetail();
    renderRows();
  }
  function showDetail() {
    const i = rows.findIndex((r) => r.id === state.sample);
    if (i < 0) {
      detail.hidden = true;
      return;
    }
    selected = i;
    const d = detailsOf(i);
    const content = $('detail-content');
    content.replaceChildren(...detailNodes(d, imageSrc));
    detail.hidden = false;
    content.scrollTop = 0;
  }
  function closeDetail() {
    detail.hidden = true;
    selected = -1;
    state.sample = '';
    writeHash();
    renderRows();
  }
  $('detail-close').addEventListener('click', closeDetail);
  document.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && !detail.hidden) closeDetail();
  });

  window.addEventListener('hashchange', () => {
    readHash();
    compute();
    renderHead();
    syncControls();
    renderRows();
    showDetail();
  });

  readHash();
  update();
  showDetail();
  document.body.dataset.ready = 'true';
})();
