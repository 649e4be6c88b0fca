import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { manifest, record, verdict } from '../../../test/support/export-records.ts';
import { reviewHtml } from './review-html.ts';

const HOSTILE = '</script><script>window.__pwned=1</script><img src=x onerror="window.__pwned=2"><!--';

function page(): string {
  return reviewHtml({
    run: {
      manifest: manifest('run-1'),
      records: [
        record('run-1', 's1', {
          output: HOSTILE,
          prompt: '\u2028</SCRIPT >',
          sut: { model: '<b>sut</b>', family: 'f' },
          verdict: verdict(false, 0.2, { rationale: HOSTILE }),
        }),
      ],
    },
  });
}

const sha = (text: string) => createHash('sha256').update(text, 'utf8').digest('base64');

describe('reviewHtml', () => {
  it('allows only its own inline script and style, by hash, and nothing from anywhere', () => {
    const html = page();
    const csp = html.match(/<meta http-equiv="Content-Security-Policy" content="([^"]+)">/)?.[1];
    const script = html.match(/<script>([\s\S]*?)<\/script>/)?.[1] as string;
    const style = html.match(/<style>([\s\S]*?)<\/style>/)?.[1] as string;
    expect(csp).toBe(
      `default-src 'none'; script-src 'sha256-${sha(script)}'; style-src 'sha256-${sha(style)}'; img-src data:; base-uri 'none'; form-action 'none'`,
    );
    expect(html.indexOf('Content-Security-Policy')).toBeLessThan(html.indexOf('<style>'));
    expect(html).not.toMatch(/\b(src|href)=["']?(https?:|\/\/)/i);
    expect(html).not.toMatch(/<link\b|@import|url\(/i);
  });

  it('embeds the data once, in JSON elements no sample text can close,, and escapes the header', () => {
    const html = page();
    // The matrix, the details, the images (data URLs by sha256) and the page's own script.
    expect(html.match(/<script\b/gi)).toHaveLength(4);
    expect(html.match(/<\/script>/gi)).toHaveLength(4);
    expect(html).not.toContain('window.__pwned=1</script>');
    expect(html).not.toContain('<b>sut</b>');
    expect(html).toContain('&lt;b&gt;sut&lt;/b&gt;');
    const element = (id: string) =>
      JSON.parse(
        html.match(new RegExp(`<script type="application/json" id="${id}">([\\s\\S]*?)</script>`))?.[1] as string,
      );
    const matrix = element('gavel-data') as { rows: Array<{ id: string; c: unknown[] }> };
    expect(matrix.rows.map((r) => r.id)).toEqual(['s1']);
    const details = element('gavel-details') as Array<{ output: string; prompt: string; judge_rationale: string }>;
    expect(details).toHaveLength(1);
    expect(details[0]?.output).toBe(HOSTILE);
    expect(details[0]?.prompt).toBe('\u2028</SCRIPT >');
    expect(details[0]?.judge_rationale).toBe(HOSTILE);
  });
});
