import { join } from 'node:path';
import { loadRubric } from '@gavel/rubric';
import { describe, expect, it } from 'vitest';
import { buildPairPrompt } from './pairwise-prompt.ts';

const RUBRICS = join(import.meta.dirname, '..', '..', '..', 'rubrics');

describe('a pair with csv parts in its outputs', () => {
  it("shows each output's CSV as a csv block, in the order asked, and its csv facts", async () => {
    const rubric = await loadRubric(RUBRICS, 'pairwise-preference@1.0.0');
    const sample = {
      id: 'p1',
      kind: 'pair' as const,
      prompt: 'Tabulate the capitals.',
      outputs: {
        a: [{ type: 'csv' as const, data: 'country,capital\nFrance,Paris\n' }],
        b: [{ type: 'csv' as const, data: 'country,capital\nFrance,Lyon\n' }],
      },
      systems: { a: { model: 'm-a', family: 'f' }, b: { model: 'm-b', family: 'f' } },
    };
    const csvA = { parse_error: null, rows: 1, columns: ['country', 'capital'], header_match: null, field_match: null };
    const facts = {
      kind: 'pair' as const,
      pair: {
        a: { chars: 28, words: 2, reference: null, csv: csvA },
        b: { chars: 27, words: 2, reference: null, csv: { ...csvA, rows: 1 } },
      },
    };
    // biome-ignore lint/suspicious/noExplicitAny: only the pair facts matter to the prompt
    const [, user] = buildPairPrompt(rubric, sample, facts as any, 'b');
    const text = user?.content as string;
    expect(text).toContain(
      '<output_1>\n```csv\ncountry,capital\nFrance,Lyon\n```\n</output_1>\n\n## Output 2\n\n<output_2>\n```csv\ncountry,capital\nFrance,Paris\n```\n</output_2>',
    );
    expect(text).toContain('"csv":{"columns":["country","capital"]');
  });
});
