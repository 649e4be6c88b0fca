import { describe, expect, it } from 'vitest';
import { escapeHtml, jsonForScriptElement } from './html-text.ts';

describe('escapeHtml', () => {
  it('escapes the five characters that start markup or end an attribute', () => {
    expect(escapeHtml(`<img src=x onerror="a('b')">&`)).toBe(
      '&lt;img src=x onerror=&quot;a(&#39;b&#39;)&quot;&gt;&amp;',
    );
  });
});

describe('jsonForScriptElement', () => {
  const hostile = {
    output: '</script><script>window.__pwned=1</script><!-- <script>',
    separators: 'a\u2028b\u2029c',
    amp: 'x && y',
  };

  it('leaves no character that could end the script element or open a comment', () => {
    const text = jsonForScriptElement(hostile);
    expect(text).not.toMatch(/[<>&\u2028\u2029]/);
    expect(text).toContain('\\u003c/script\\u003e\\u003cscript\\u003ewindow.__pwned=1');
    expect(text).toContain('a\\u2028b\\u2029c');
    expect(text).toContain('x \\u0026\\u0026 y');
  });

  it('parses back to the same value', () => {
    expect(JSON.parse(jsonForScriptElement(hostile))).toEqual(hostile);
  });
});
