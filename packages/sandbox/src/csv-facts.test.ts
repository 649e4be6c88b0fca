import { describe, expect, it } from 'vitest';
import { CsvParseError, csvFacts, parseCsv } from './csv-facts.ts';
import { pairFacts } from './pair-facts.ts';

describe('parseCsv (RFC 4180)', () => {
  it('reads quoted fields with commas, doubled quotes and line breaks, CRLF and a missing final newline', () => {
    const text = 'name,note\r\n"Smith, Jo","said ""hi"""\r\nAda,"two\nlines"';
    expect(parseCsv(text)).toEqual({
      header: ['name', 'note'],
      rows: [
        ['Smith, Jo', 'said "hi"'],
        ['Ada', 'two\nlines'],
      ],
    });
    expect(parseCsv('a,b\n1,\n')).toEqual({ header: ['a', 'b'], rows: [['1', '']] });
  });

  it('names the line of each malformation', () => {
    expect(() => parseCsv('a,b\n1,2\n3\n')).toThrow(new CsvParseError('line 3: 1 field(s) where the header has 2'));
    expect(() => parseCsv('a,b\n1,"open\n2,3\n')).toThrow(new CsvParseError('line 2: unterminated quoted field'));
    expect(() => parseCsv('a,b\n1,x"y\n')).toThrow(new CsvParseError('line 2: a quote inside an unquoted field'));
    expect(() => parseCsv('a,b\n"1"x,2\n')).toThrow(new CsvParseError('line 2: text after a closing quote'));
    // A quoted line break moves the count on: the short record starts on line 4.
    expect(() => parseCsv('a,b\n"x\ny",1\nz\n')).toThrow(
      new CsvParseError('line 4: 1 field(s) where the header has 2'),
    );
    expect(() => parseCsv('')).toThrow(new CsvParseError('line 1: no header row'));
  });
});

describe('csvFacts', () => {
  const output = (data: string) => [{ type: 'csv' as const, data }];

  it('matches header and cells against a CSV reference, by column name', () => {
    // Reference 2 rows × 3 columns = 6 cells. The output swaps two columns (matched by name), misses
    // "city", adds "age", and has row 2's name wrong: cells matched are row 1 name, born and row 2 born = 3.
    const reference = 'name,born,city\nAda,1815,London\nAlan,1912,London\n';
    const facts = csvFacts(output('born,name,age\n1815,Ada,36\n1912, Alan T ,41\n'), reference);
    expect(facts).toEqual({
      parse_error: null,
      rows: 2,
      columns: ['born', 'name', 'age'],
      header_match: { matched: 2, total: 3, missing: ['city'], extra: ['age'] },
      field_match: {
        matched: 3,
        total: 6,
        different: ['row 1 column city', 'row 2 column name', 'row 2 column city'],
      },
    });
  });

  it('takes a JSON array of objects as the reference, numbers compared as CSV writes them, a missing row unmatched', () => {
    const reference = JSON.stringify([
      { id: 1, ok: true },
      { id: 2, ok: false },
    ]);
    const facts = csvFacts(output('id,ok\n1,true\n'), reference);
    expect(facts?.header_match).toEqual({ matched: 2, total: 2, missing: [], extra: [] });
    expect(facts?.field_match).toEqual({ matched: 2, total: 4, different: ['row 2 column id', 'row 2 column ok'] });
  });

  it('records a parse error as a fact; no reference table, no match; no csv part, no facts', () => {
    expect(csvFacts(output('a,b\n1\n'), 'a,b\n1,2\n')).toEqual({
      parse_error: 'line 2: 1 field(s) where the header has 2',
      rows: 0,
      columns: [],
      header_match: null,
      field_match: null,
    });
    expect(csvFacts(output('a\n1\n'), undefined)).toMatchObject({ rows: 1, columns: ['a'], field_match: null });
    expect(csvFacts('a,b\n1,2', 'a,b\n1,2')).toBeNull();
    expect(csvFacts([{ type: 'text', text: 'a,b' }], undefined)).toBeNull();
  });

  it("lands in a pair's facts for each side that holds a csv part", () => {
    const facts = pairFacts({
      id: 'p1',
      kind: 'pair',
      prompt: 'Tabulate the capitals.',
      outputs: { a: output('country,capital\nFrance,Paris\n'), b: output('country,capital\nFrance,Lyon\n') },
      systems: { a: { model: 'm-a', family: 'f' }, b: { model: 'm-b', family: 'f' } },
      reference: 'country,capital\nFrance,Paris\n',
    });
    expect(facts.pair?.a.csv?.field_match).toEqual({ matched: 2, total: 2, different: [] });
    expect(facts.pair?.b.csv?.field_match).toEqual({ matched: 1, total: 2, different: ['row 1 column capital'] });
  });
});
