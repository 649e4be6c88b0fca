import { describe, expect, it } from 'vitest';
import { escapeXml } from './xml-text.ts';

describe('escapeXml', () => {
  it('escapes markup characters', () => {
    expect(escapeXml(`<a b="c" d='e'>&</a>`)).toBe('&lt;a b=&quot;c&quot; d=&apos;e&apos;&gt;&amp;&lt;/a&gt;');
  });

  it('drops characters XML 1.0 forbids and keeps tab, LF, CR and astral characters', () => {
    const text = `a\u0000b\u0008c\u000Bd\u001Fe\uFFFEf\uFFFFg\uD800h\tI\nJ\rK\u{1F600}L\u00E9`;
    expect(escapeXml(text)).toBe('abcdefgh\tI\nJ\rK\u{1F600}L\u00E9');
  });
});
