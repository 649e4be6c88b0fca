import { describe, expect, it } from 'vitest';
import { barChart, deltaChart, scoreHistogram } from './svg-charts.ts';

const titles = (svg: string) => [...svg.matchAll(/<rect [^>]*><title>([^<]*)<\/title>/g)].map((m) => m[1]);

describe('svg charts', () => {
  it('bins scores into ten equal bins, a score of 1 in the last', () => {
    const svg = scoreHistogram([0, 0.05, 0.1, 0.55, 0.99, 1, 1]);
    expect(titles(svg)).toEqual([
      '0.0–0.1: 2',
      '0.1–0.2: 1',
      '0.2–0.3: 0',
      '0.3–0.4: 0',
      '0.4–0.5: 0',
      '0.5–0.6: 1',
      '0.6–0.7: 0',
      '0.7–0.8: 0',
      '0.8–0.9: 0',
      '0.9–1.0: 3',
    ]);
    expect(svg).toContain('<title>score distribution (n = 7)</title>');
  });

  it('escapes labels and draws bars in proportion to their value', () => {
    const svg = barChart('means', [
      { label: '<script>x</script>', value: 0.5, n: 4 },
      { label: 'b', value: 1, n: 2 },
    ]);
    expect(svg).not.toContain('<script>');
    expect(svg).toContain('&lt;script&gt;x&lt;/script&gt;');
    // plot width 160: a value of 0.5 is 80 wide, 1 is the whole 160
    expect(svg).toContain('width="80.0" height="14" fill="#4a78c2"');
    expect(svg).toContain('width="160.0" height="14" fill="#4a78c2"');
  });

  it('colours a delta whose CI excludes zero by whether it is better, and a CI across zero grey', () => {
    const svg = deltaChart(
      'deltas',
      [
        { label: 'tests passed', delta: 0.1, ci95: [0.05, 0.15] },
        { label: 'timeouts', delta: 0.1, ci95: [0.05, 0.15] },
        { label: 'style', delta: -0.02, ci95: [-0.1, 0.06] },
      ],
      [true, false, true],
    );
    const circles = [...svg.matchAll(/<circle cx="([\d.]+)" cy="[\d.]+" r="3.5" fill="(#[0-9a-f]+)">/g)];
    expect(circles.map((c) => c[2])).toEqual(['#2a8a3e', '#c23b3b', '#777']);
    // symmetric scale: extent 0.15 over half the 180-wide plot (zero at 200 + 90 = 290)
    expect(circles.map((c) => c[1])).toEqual(['350.0', '350.0', '278.0']);
  });
});
