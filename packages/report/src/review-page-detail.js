// The review page's sample detail, as DOM nodes built with textContent only. Inlined before
// review-page.js in the same script element (review-html.ts); review-page.js uses `window.gavelDom`.
window.gavelDom = (() => {
  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  function section(title, ...children) {
    const wrap = el('section');
    wrap.append(el('h3', '', title), ...children);
    return wrap;
  }
  function textBlock(text) {
    return el('pre', 'text', text);
  }
  function keyValues(pairs) {
    const dl = el('dl', 'kv');
    for (const [k, v] of pairs) dl.append(el('dt', '', k), el('dd', '', v));
    return dl;
  }
  function table(headers, body, classes = []) {
    const t = el('table');
    const tr = el('tr');
    for (const h of headers) tr.append(el('th', '', h));
    t.append(tr);
    for (const values of body) {
      const row = el('tr');
      values.forEach((v, k) => {
        const cls = classes[k];
        row.append(el('td', typeof cls === 'function' ? cls(v) : (cls ?? ''), v));
      });
      t.append(row);
    }
    return t;
  }
  function codeBlock(text) {
    const t = el('table', 'code');
    const lines = text.split('\n');
    lines.forEach((line, n) => {
      const tr = el('tr');
      tr.append(el('td', 'ln', n + 1), el('td', '', line));
      t.append(tr);
    });
    return t;
  }
  // Only a base64 data URL of a raster type the page was built with (review-images.ts decided the
  // type from the bytes' magic): anything else — SVG, a javascript: or http URL — is never an img src.
  const SAFE_IMAGE_URL = /^data:image\/(png|jpeg|webp);base64,[A-Za-z0-9+/]+={0,2}$/;
  function imageNode(part, imageSrc) {
    const url = part.sha256 === null ? undefined : imageSrc(part.sha256);
    if (typeof url !== 'string' || !SAFE_IMAGE_URL.test(url)) return el('p', 'image-missing', part.label);
    const figure = el('figure', 'pair-image');
    const img = el('img');
    img.alt = part.label;
    img.dataset.sha256 = part.sha256;
    img.src = url;
    figure.append(img, el('figcaption', '', part.label));
    return figure;
  }
  function sideNodes(side, imageSrc) {
    return side.parts.map((part) => (part.type === 'image' ? imageNode(part, imageSrc) : codeBlock(part.text)));
  }
  function pairSection(p, imageSrc) {
    const sides = el('div', 'pair-sides');
    for (const [label, side] of [
      ['A', p.a],
      ['B', p.b],
    ]) {
      const column = el('div', 'pair-side');
      column.dataset.side = label.toLowerCase();
      column.append(el('h4', '', `${label} · ${side.system}`), ...sideNodes(side, imageSrc));
      sides.append(column);
    }
    const routed = `routed to ${p.route}${p.route_reasons.length > 0 ? ` (${p.route_reasons.join(', ')})` : ''}`;
    const orders = el('div', 'pair-orders');
    for (const o of p.orders) {
      const wrap = el('div', 'pair-order');
      wrap.dataset.first = o.first;
      wrap.append(
        el('h4', '', `${o.first.toUpperCase()} shown first: preferred ${o.preference} · margin ${o.margin.toFixed(2)}`),
        textBlock(o.rationale),
      );
      if (o.criteria.length > 0)
        wrap.append(
          table(
            ['criterion', 'preferred', 'finding'],
            o.criteria.map((c) => [c.id, c.preference, c.finding ?? '']),
            ['', '', 'msg'],
          ),
        );
      orders.append(wrap);
    }
    return section(
      `Pair: outcome ${p.outcome}`,
      el(
        'p',
        'pair-summary',
        `decided by ${p.decided_by} · the two orders ${p.consistent ? 'agreed' : 'disagreed'} · margin ${p.margin.toFixed(2)} · ${routed}`,
      ),
      sides,
      ...(p.criteria.length > 0
        ? [
            table(
              ['criterion', 'outcome'],
              p.criteria.map((c) => [c.id, c.outcome]),
            ),
          ]
        : []),
      orders,
    );
  }
  /**
   * The detail view of one sample (see SampleDetail in review-detail.ts); `imageSrc(sha256)` gives an
   * embedded image's data URL, or undefined.
   */
  function detailNodes(d, imageSrc = () => undefined) {
    const parts = [el('h2', '', d.sample_id)];
    const verdict = el('span', `v v-${d.verdict}`, d.verdict);
    const line = el('p');
    line.append(
      verdict,
      el(
        'span',
        '',
        ` · score ${d.score === null ? '–' : d.score.toFixed(3)} · ${d.source ?? 'no verdict'} · task ${d.task_id ?? '–'} · ${d.kind} · SUT ${d.sut}${d.arbiter ? ` · arbiter ${d.arbiter}` : ''}`,
      ),
    );
    parts.push(line);
    if (d.failure) parts.push(section('Failure', textBlock(d.failure)));
    if (d.arbiter_rationale) parts.push(section(`Arbiter rationale (${d.arbiter})`, textBlock(d.arbiter_rationale)));
    if (d.judge_rationale) parts.push(section('Judge rationale', textBlock(d.judge_rationale)));
    if (d.base) {
      parts.push(
        section(
          'Base run',
          keyValues([
            ['sample', d.base.sample_id],
            ['verdict', d.base.verdict],
            ['score', d.base.score === null ? '–' : d.base.score.toFixed(3)],
          ]),
          ...(d.base.rationale ? [textBlock(d.base.rationale)] : []),
          ...(d.base.changed.length > 0
            ? [
                table(
                  ['fact that changed', 'base', 'this run'],
                  d.base.changed.map((c) => [c.fact, String(c.base ?? '–'), String(c.candidate ?? '–')]),
                ),
              ]
            : []),
        ),
      );
    }
    if (d.criteria.length > 0)
      parts.push(
        section(
          'Criteria',
          table(
            ['criterion', 'score', 'finding'],
            d.criteria.map((c) => [c.id, c.score.toFixed(2), c.finding ?? '']),
            ['', '', 'msg'],
          ),
        ),
      );
    if (d.tests.length > 0)
      parts.push(
        section(
          `Tests (${d.tests.length})`,
          table(
            ['test', 'outcome', 'message'],
            d.tests.map((t) => [t.name, t.outcome, t.message ?? '']),
            ['', (outcome) => `outcome-${outcome}`, 'msg'],
          ),
        ),
      );
    if (d.diagnostics.length > 0)
      parts.push(
        section(
          `Diagnostics (${d.diagnostics.length})`,
          table(
            ['tool', 'line', 'code', 'severity', 'message'],
            d.diagnostics.map((x) => [x.tool, x.line ?? '', x.code, x.severity, x.message]),
            ['', '', '', '', 'msg'],
          ),
        ),
      );
    if (d.pair) parts.push(pairSection(d.pair, imageSrc));
    if (d.best_of_n) {
      const b = d.best_of_n;
      parts.push(
        section(
          `Best-of-n: ${b.chosen ? 'chosen' : b.contender ? 'contender, not chosen' : 'not a contender'}`,
          keyValues([
            ['rank by score', String(b.rank)],
            ['score', b.score === null ? '–' : b.score.toFixed(3)],
            ['tournament points', b.points === null ? '–' : String(b.points)],
            ['decided by', b.decided_by],
            ['tournament run', b.tournament_run ?? '–'],
          ]),
          ...(b.matches.length > 0
            ? [
                table(
                  ['opponent', 'result'],
                  b.matches.map((m) => [m.opponent, m.result]),
                ),
              ]
            : []),
        ),
      );
    }
    if (d.output !== null) parts.push(section('Output', codeBlock(d.output)));
    if (d.prompt !== null) parts.push(section('Prompt', textBlock(d.prompt)));
    if (d.facts.length > 0) parts.push(section('Facts', keyValues(d.facts)));
    if (d.consistency.length > 0) parts.push(section('Self-consistency', keyValues(d.consistency)));
    return parts;
  }

  return { el, detailNodes };
})();
