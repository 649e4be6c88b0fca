import type { TestCase, TestFacts } from '@gavel/core';

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function unescapeXml(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#[0-9]+|\w+);/gi, (m, e: string) => {
    if (e[0] === '#')
      return String.fromCodePoint(e[1] === 'x' || e[1] === 'X' ? Number.parseInt(e.slice(2), 16) : Number(e.slice(1)));
    return ENTITIES[e] ?? m;
  });
}

function attrs(tag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of tag.matchAll(/([\w:.-]+)="([^"]*)"/g)) out[m[1] as string] = unescapeXml(m[2] as string);
  return out;
}

/**
 * Per-test facts from a pytest JUnit XML report (xunit2). `null` report (none written: the process
 * exited early, was killed, timed out) → zero collected and every expected test counted as failed.
 */
export function junitFacts(xml: string | null, expected: number): TestFacts {
  const cases: TestCase[] = [];
  let collected = 0;
  if (xml !== null) {
    for (const suite of xml.matchAll(/<testsuite\b([^>]*)>/g)) {
      const a = attrs(suite[1] as string);
      collected += Number(a.tests ?? 0);
    }
    for (const m of xml.matchAll(/<testcase\b([^>]*?)(\/>|>([\s\S]*?)<\/testcase>)/g)) {
      const a = attrs(m[1] as string);
      const body = m[3] ?? '';
      const name = [a.classname, a.name].filter(Boolean).join('::');
      const child = /<(failure|error|skipped)\b([^>]*?)(?:\/>|>)/.exec(body);
      if (!child) {
        cases.push({ name, outcome: 'passed' });
        continue;
      }
      const kind = child[1] as 'failure' | 'error' | 'skipped';
      const message = attrs(child[2] as string).message;
      cases.push({
        name,
        outcome: kind === 'failure' ? 'failed' : kind,
        ...(message !== undefined ? { message: message.slice(0, 2000) } : {}),
      });
    }
  }
  const count = (o: TestCase['outcome']) => cases.filter((c) => c.outcome === o).length;
  const passed = count('passed');
  const missing = Math.max(0, expected - cases.length);
  return {
    passed,
    failed: count('failed') + missing,
    errors: count('error'),
    skipped: count('skipped'),
    total: cases.length,
    collected,
    expected,
    cases,
  };
}
