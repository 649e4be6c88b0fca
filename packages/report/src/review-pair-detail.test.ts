import { readFileSync } from 'node:fs';
import { runInNewContext } from 'node:vm';
import type { Verdict } from '@gavel/core';
import { describe, expect, it } from 'vitest';
import { detailParts, type SampleDetail, sampleDetail } from './review-detail.ts';
import type { ExportRecord } from './run-records.ts';

interface FakeNode {
  tag: string;
  className: string;
  textContent: string;
  children: FakeNode[];
  dataset: Record<string, string>;
  append(...nodes: FakeNode[]): void;
}

/** A DOM of plain objects: the detail script builds nodes with createElement, textContent and append only. */
function fakeDocument() {
  return {
    createElement(tag: string): FakeNode {
      const node: FakeNode = {
        tag,
        className: '',
        textContent: '',
        children: [],
        dataset: {},
        append(...nodes) {
          node.children.push(...nodes);
        },
      };
      return node;
    },
  };
}

function detailScript(): { detailNodes(d: SampleDetail): FakeNode[] } {
  const window: { gavelDom?: { detailNodes(d: SampleDetail): FakeNode[] } } = {};
  runInNewContext(readFileSync(new URL('./review-page-detail.js', import.meta.url), 'utf8'), {
    window,
    document: fakeDocument(),
  });
  return window.gavelDom as { detailNodes(d: SampleDetail): FakeNode[] };
}

const text = (n: FakeNode): string => n.textContent + n.children.map(text).join('');
const find = (n: FakeNode, cls: string): FakeNode | undefined =>
  n.className === cls ? n : n.children.map((c) => find(c, cls)).find(Boolean);

const order = (first: 'a' | 'b', preference: 'a' | 'b', rationale: string) => ({
  first,
  preference,
  margin: 0.9,
  criteria: [],
  rationale,
});

const verdict = {
  pass: false,
  score: 0.5,
  rationale: 'r',
  criteria: [],
  source: 'judge',
  facts_only: false,
  route: 'arbiter',
  route_reasons: ['position_inconsistent'],
  arbitration: 'unarbitrated',
  flags: [],
  grader: null,
  consistency: null,
  arbiter: null,
  judge_verdict: null,
  usage: null,
  pairwise: {
    outcome: 'inconsistent',
    orders: [order('a', 'a', 'A first: <b>A</b> reads better'), order('b', 'b', 'B first: B reads better')],
    consistent: false,
    margin: 0,
    criteria: [],
    decided_by: 'judge',
  },
  decided_at: '2026-12-01T00:00:00Z',
} as Verdict;

const record = {
  run_id: 'r',
  sample_id: 'p1',
  task_id: 't1',
  kind: 'pair',
  sut: { model: 'cand-8b', family: 'acme' },
  status: 'verdict',
  facts: null,
  verdict,
  judge_verdict: verdict,
  route: 'arbiter',
  failure: null,
  rubric: null,
  arbiter_cost: null,
  trace_id: null,
  prompt: 'Which is right?',
  outputs: { a: '<script>alert(1)</script> Lyon', b: [{ type: 'text', text: 'Paris' }] },
  systems: { a: { model: 'base-7b', family: 'acme' }, b: { model: 'cand-8b', family: 'acme' } },
} as ExportRecord;

describe('the review detail of a pair', () => {
  it('shows both outputs side by side, the outcome and both orders rationales, as text nodes', () => {
    const detail = sampleDetail(record);
    expect(detail.pair).toEqual({
      outcome: 'inconsistent',
      decided_by: 'judge',
      consistent: false,
      margin: 0,
      route: 'arbiter',
      route_reasons: ['position_inconsistent'],
      a: {
        system: 'base-7b (acme)',
        text: '<script>alert(1)</script> Lyon',
        parts: [{ type: 'text', text: '<script>alert(1)</script> Lyon' }],
      },
      b: { system: 'cand-8b (acme)', text: 'Paris', parts: [{ type: 'text', text: 'Paris' }] },
      orders: [
        { first: 'a', preference: 'a', margin: 0.9, rationale: 'A first: <b>A</b> reads better', criteria: [] },
        { first: 'b', preference: 'b', margin: 0.9, rationale: 'B first: B reads better', criteria: [] },
      ],
      criteria: [],
    });
    const nodes = detailScript().detailNodes(detail);
    const root = { tag: 'root', className: '', textContent: '', children: nodes, dataset: {}, append() {} };
    const sides = find(root, 'pair-sides');
    expect(sides?.children.map((c) => c.className)).toEqual(['pair-side', 'pair-side']);
    expect(text(sides?.children[0] as FakeNode)).toContain('A · base-7b (acme)');
    // The untrusted output is the text of a node, never markup: a browser shows it as written.
    expect(text(sides?.children[0] as FakeNode)).toContain('<script>alert(1)</script> Lyon');
    expect(text(sides?.children[1] as FakeNode)).toContain('B · cand-8b (acme)');
    const all = text(root);
    expect(all).toContain('Pair: outcome inconsistent');
    expect(all).toContain('the two orders disagreed');
    expect(all).toContain('A first: <b>A</b> reads better');
    expect(all).toContain('B first: B reads better');
    expect(all).toContain('routed to arbiter (position_inconsistent)');
    expect(sampleDetail({ ...record, kind: 'text', outputs: undefined, systems: undefined }).pair).toBeNull();
  });
});

describe('the parts of a pair output', () => {
  it('keeps JSON and CSV as text and names an image only by its sha256; a url or path image is never a source', () => {
    const sha = 'ab'.repeat(32);
    const parts = detailParts([
      { type: 'json', data: { k: '</script>' } },
      { type: 'csv', data: 'a,b\n1,2' },
      { type: 'image', sha256: sha, media_type: 'image/png', width: 4, height: 3, bytes: 10 },
      { type: 'image', url: 'data:image/svg+xml;base64,PHN2Zy8+' },
      { type: 'image', path: '../../etc/passwd' },
    ]);
    expect(parts).toEqual([
      { type: 'text', text: '{\n  "k": "</script>"\n}' },
      { type: 'text', text: 'a,b\n1,2' },
      { type: 'image', sha256: sha, label: `[image ${sha.slice(0, 12)} 4×3]` },
      { type: 'image', sha256: null, label: '[image not from the image store (no sha256): not shown]' },
      { type: 'image', sha256: null, label: '[image not from the image store (no sha256): not shown]' },
    ]);
  });
});
