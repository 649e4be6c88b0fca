import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Verdict } from '@gavel/core';
import { createRedis, RunStore } from '@gavel/queue';
import type { ExportRecord } from '@gavel/report';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi } from '../support/api-server.ts';
import { launchChromium } from '../support/chromium.ts';
import { gavel, jsonl } from '../support/gavel.ts';
import { encodePng } from '../support/png.ts';
import { type RedisServer, startRedis } from '../support/redis.ts';

// Sample text that would run script or load something if it ever reached the page as markup.
const SCRIPT = '</script><script>window.__pwned=1</script>';
const ATTR = '"><img src=x onerror="window.__pwned=2">';
const JS_URL = '[open](javascript:window.__pwned=3) javascript:window.__pwned=4';
const SVG = Buffer.from(
  '<svg xmlns="http://www.w3.org/2000/svg" width="50" height="50" onload="window.__pwned=5"><rect width="50" height="50"/></svg>',
);
const SVG_DATA_URL = `data:image/svg+xml;base64,${SVG.toString('base64')}`;

const A_PNG = encodePng(64, 48, (x) => [x * 4, 80, 160]);
const B_PNG = encodePng(48, 32, (_x, y) => [200, y * 7, 40]);
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const png = (b: Buffer, width: number, height: number) => ({
  type: 'image' as const,
  sha256: sha(b),
  media_type: 'image/png' as const,
  width,
  height,
  bytes: b.length,
});

let dir: string;
let redis: RedisServer;
let browser: Awaited<ReturnType<typeof launchChromium>>;
let url: string;
let html: string;
let env: Record<string, string>;

const systems = { a: { model: 'base-7b', family: 'acme' }, b: { model: 'cand-8b', family: 'acme' } };

function order(first: 'a' | 'b', rationale: string) {
  return {
    first,
    preference: 'b' as const,
    margin: 0.8,
    criteria: [
      { id: 'accuracy', preference: 'b' as const, finding: `${first} first: A mislabels its axis ${ATTR}` },
      { id: 'clarity', preference: 'tie' as const, finding: null },
    ],
    rationale,
  };
}

const RATIONALE_A_FIRST = `A shown first. B labels the axis REVENUE; A says COST ${SCRIPT}`;
const RATIONALE_B_FIRST = `B shown first. B is right ${ATTR} ${JS_URL}`;

function hostileRecord(): ExportRecord {
  const verdict: Verdict = {
    pass: true,
    score: 1,
    rationale: `both orders prefer B ${SCRIPT}`,
    criteria: [],
    source: 'judge',
    facts_only: false,
    route: 'final',
    route_reasons: [],
    arbitration: 'none',
    flags: [],
    grader: { model: 'vision-judge', family: 'judgefam' },
    consistency: null,
    arbiter: null,
    judge_verdict: null,
    usage: null,
    pairwise: {
      outcome: 'b',
      orders: [order('a', RATIONALE_A_FIRST), order('b', RATIONALE_B_FIRST)],
      consistent: true,
      margin: 0.8,
      criteria: [
        { id: 'accuracy', outcome: 'b' },
        { id: 'clarity', outcome: 'tie' },
      ],
      decided_by: 'judge',
    },
    decided_at: '2026-12-01T00:00:00Z',
  };
  return {
    run_id: 'hostile-pairs',
    sample_id: 'hostile-1',
    task_id: 'chart',
    kind: 'pair',
    sut: systems.b,
    status: 'verdict',
    facts: null,
    verdict,
    judge_verdict: null,
    route: 'final',
    failure: null,
    rubric: { id: 'pairwise-preference', version: '1.0.0', hash: 'a'.repeat(64) },
    arbiter_cost: null,
    trace_id: null,
    prompt: `Which chart labels its axes correctly? ${SCRIPT}`,
    outputs: {
      a: [{ type: 'text', text: `chart A ${SCRIPT} ${ATTR}` }, png(A_PNG, 64, 48)],
      b: [
        { type: 'text', text: `chart B ${JS_URL}` },
        png(B_PNG, 48, 32),
        // A data URL that claims SVG, in the record's own text: never a source of an image.
        { type: 'image', url: SVG_DATA_URL },
        // SVG bytes in the image store under their own hash, the record claiming they are a PNG.
        { type: 'image', sha256: sha(SVG), media_type: 'image/png', width: 50, height: 50, bytes: SVG.length },
      ],
    },
    systems,
  } as ExportRecord;
}

async function open(hash: string): Promise<{ page: Page; requests: string[]; errors: string[] }> {
  const page = await browser.context.newPage();
  const requests: string[] = [];
  const errors: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('dialog', (d) => {
    errors.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  await page.goto(`${url}${hash}`);
  await page.waitForSelector('body[data-ready="true"]');
  return { page, requests, errors };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gavel-review-pair-'));
  redis = await startRedis({ appendonly: false });
  env = { GAVEL_REDIS_URL: redis.url, GAVEL_LOG_LEVEL: 'warn' };
  // The two charts reach the image store as a real enqueue stores them (from paths beside the dataset).
  await writeFile(join(dir, 'a.png'), A_PNG);
  await writeFile(join(dir, 'b.png'), B_PNG);
  const dataset = join(dir, 'pairs.jsonl');
  await writeFile(
    dataset,
    jsonl([
      {
        id: 'chart',
        kind: 'pair',
        prompt: 'Which chart labels its axes correctly?',
        outputs: { a: [{ type: 'image', path: 'a.png' }], b: [{ type: 'image', path: 'b.png' }] },
        systems,
      },
    ]),
  );
  const enqueued = await gavel(['enqueue', dataset, '--run', 'chart-pairs'], env);
  expect(enqueued.code, enqueued.stderr).toBe(0);
  // Enqueue refuses an SVG outright; it is put in the store here to prove the page refuses it too.
  const client = createRedis(redis.url, { role: 'client' });
  try {
    await new RunStore(client, 'gavel').images.retainForRun('other-run', new Map([[sha(SVG), SVG]]));
  } finally {
    client.disconnect();
  }
  const exportFile = join(dir, 'hostile.jsonl');
  await writeFile(exportFile, `${JSON.stringify(hostileRecord())}\n`);
  const out = join(dir, 'review.html');
  const result = await gavel(['review', '--from-export', exportFile, '--images-from-store', '--out', out], env);
  expect(result.code, result.stderr).toBe(0);
  expect(result.stderr).toContain('1 sample(s) of run hostile-pairs (3 image(s) from the image store)');
  expect(result.stderr).toContain(`gavel review: image ${sha(SVG)} not embedded: not a PNG, JPEG or WebP image`);
  html = await readFile(out, 'utf8');
  url = pathToFileURL(out).href;
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await redis?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('the review matrix pair view in headless Chromium', () => {
  it('shows A and B side by side with their images decoded from the image store bytes', async () => {
    const { page, errors } = await open('#sample=hostile-1');
    await page.waitForSelector('#detail:not([hidden]) .pair-sides');
    const sides = await page.evaluate(`(async () => {
      const out = [];
      for (const side of document.querySelectorAll('#detail .pair-side')) {
        const imgs = [...side.querySelectorAll('img')];
        await Promise.all(imgs.map((img) => img.decode()));
        const box = side.getBoundingClientRect();
        out.push({
          side: side.dataset.side,
          heading: side.querySelector('h4').textContent,
          left: Math.round(box.left),
          top: Math.round(box.top),
          images: imgs.map((img) => ({
            sha256: img.dataset.sha256,
            width: img.naturalWidth,
            height: img.naturalHeight,
            type: img.src.slice(0, img.src.indexOf(';')),
          })),
          missing: [...side.querySelectorAll('.image-missing')].map((p) => p.textContent),
        });
      }
      return out;
    })()`);
    const [a, b] = sides as {
      side: string;
      heading: string;
      left: number;
      top: number;
      images: { sha256: string; width: number; height: number; type: string }[];
      missing: string[];
    }[];
    expect(a?.heading).toBe('A · base-7b (acme)');
    expect(b?.heading).toBe('B · cand-8b (acme)');
    // Side by side: one row, B to the right of A.
    expect(a?.top).toBe(b?.top);
    expect(b?.left).toBeGreaterThan(a?.left ?? Number.POSITIVE_INFINITY);
    // Decoded by the browser (naturalWidth > 0: the very sizes encoded above), typed from the bytes.
    expect(a?.images).toEqual([{ sha256: sha(A_PNG), width: 64, height: 48, type: 'data:image/png' }]);
    expect(b?.images).toEqual([{ sha256: sha(B_PNG), width: 48, height: 32, type: 'data:image/png' }]);
    // The SVG claimed by a data URL and the SVG bytes claimed as a PNG: markers, never an image.
    expect(b?.missing).toEqual([
      '[image not from the image store (no sha256): not shown]',
      `[image ${sha(SVG).slice(0, 12)} 50×50]`,
    ]);
    expect(await page.locator('img').count()).toBe(2);
    expect(html).not.toContain('svg+xml');
    expect(html).not.toContain(SVG.toString('base64'));
    expect(errors).toEqual([]);
    await page.close();
  });

  it("shows both orders' rationales, per-criterion preferences, the outcome and the route, all as text", async () => {
    const { page, errors } = await open('#sample=hostile-1');
    await page.waitForSelector('#detail:not([hidden]) .pair-orders');
    const orders = await page.locator('#detail .pair-order').evaluateAll((nodes) =>
      nodes.map((n) => ({
        first: (n as unknown as { dataset: { first: string } }).dataset.first,
        heading: n.querySelector('h4')?.textContent,
        rationale: n.querySelector('pre')?.textContent,
        criteria: [...n.querySelectorAll('tr')].slice(1).map((tr) => tr.textContent),
      })),
    );
    expect(orders).toEqual([
      {
        first: 'a',
        heading: 'A shown first: preferred b · margin 0.80',
        rationale: RATIONALE_A_FIRST,
        // Each row's cells run together in textContent: criterion, preferred side, finding.
        criteria: [`accuracyba first: A mislabels its axis ${ATTR}`, 'claritytie'],
      },
      {
        first: 'b',
        heading: 'B shown first: preferred b · margin 0.80',
        rationale: RATIONALE_B_FIRST,
        criteria: [`accuracybb first: A mislabels its axis ${ATTR}`, 'claritytie'],
      },
    ]);
    const text = await page.locator('#detail').textContent();
    expect(text).toContain('Pair: outcome b');
    expect(text).toContain('decided by judge · the two orders agreed · margin 0.80 · routed to final');
    expect(text).toContain(`chart A ${SCRIPT} ${ATTR}`);
    expect(text).toContain(`chart B ${JS_URL}`);
    // Nothing from the sample text ran, opened a dialog, became a link or loaded anything.
    expect(await page.evaluate('window.__pwned')).toBeUndefined();
    expect(await page.locator('#detail a, #detail script, #detail svg, #detail iframe').count()).toBe(0);
    expect(errors).toEqual([]);
    await page.close();
  });

  it("GET /v1/runs/{id}/review embeds the run's images from the image store too, and Chromium decodes them", async () => {
    const api = await startApi({ ...env, GAVEL_SANDBOX: 'none', GAVEL_JUDGE: 'facts' });
    try {
      const response = await fetch(`${api.url}/v1/runs/chart-pairs/review`);
      expect(response.status, api.output()).toBe(200);
      const page = join(dir, 'api-review.html');
      await writeFile(page, await response.text());
      const tab = await browser.context.newPage();
      await tab.goto(`${pathToFileURL(page).href}#sample=chart`);
      await tab.waitForSelector('#detail:not([hidden]) .pair-sides img');
      const decoded = await tab.evaluate(`(async () => {
        const imgs = [...document.querySelectorAll('#detail .pair-side img')];
        await Promise.all(imgs.map((img) => img.decode()));
        return imgs.map((img) => [img.dataset.sha256, img.naturalWidth, img.naturalHeight]);
      })()`);
      expect(decoded).toEqual([
        [sha(A_PNG), 64, 48],
        [sha(B_PNG), 48, 32],
      ]);
      await tab.close();
    } finally {
      await api.stop();
    }
  });

  it('an SVG data URL never gets as far as the image store: gavel enqueue refuses its line', async () => {
    const file = join(dir, 'svg.jsonl');
    await writeFile(
      file,
      jsonl([
        {
          id: 'svg',
          kind: 'pair',
          prompt: 'p',
          outputs: { a: 'x', b: [{ type: 'image', url: SVG_DATA_URL }] },
          systems,
        },
      ]),
    );
    const refused = await gavel(['enqueue', file, '--run', 'svg-run'], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`${file}:1: outputs.b.0: not a PNG, JPEG or WebP image`);
  });

  it('loads nothing but the file itself, and a search finds the pair by its output text', async () => {
    const { page, requests } = await open('');
    await page.fill('#search', 'window.__pwned=3');
    await expect.poll(() => page.locator('#count').textContent()).toBe('1 of 1 samples');
    await page.click('.row');
    await page.waitForSelector('#detail:not([hidden]) .pair-sides img');
    // data: URLs are not requests to anywhere; the file is the only thing fetched.
    expect(requests.filter((r) => !r.startsWith('data:'))).toEqual([url]);
    expect(await page.evaluate('window.__pwned')).toBeUndefined();
    await page.close();
  });
});
