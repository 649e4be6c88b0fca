import type { Content, PairSideFacts } from '@gavel/core';

/** Deterministic facts of a tabular (`csv` part) output, before any judge. */
export type CsvFacts = NonNullable<PairSideFacts['csv']>;

/** A CSV table: its header and its records (every record as many fields as the header). */
export interface CsvTable {
  header: string[];
  rows: string[][];
}

/** Where a CSV text is malformed, by the line it starts on (1-based). */
export class CsvParseError extends Error {}

/**
 * Parses CSV as RFC 4180 has it: records end at LF or CRLF (a final line break is optional), fields
 * are comma-separated, a field in double quotes may hold commas, line breaks and `""` for a quote.
 * Throws {@link CsvParseError} naming the line: an unterminated quote, a quote inside an unquoted
 * field or text after a closing quote, a record whose field count is not the header's, no header.
 */
export function parseCsv(text: string): CsvTable {
  const records: { line: number; fields: string[] }[] = [];
  let line = 1;
  let at = 0;
  const n = text.length;
  while (at < n) {
    const start = line;
    const fields: string[] = [];
    for (;;) {
      let field = '';
      if (text[at] === '"') {
        at += 1;
        for (;;) {
          if (at >= n) throw new CsvParseError(`line ${start}: unterminated quoted field`);
          const ch = text[at];
          if (ch === '"') {
            if (text[at + 1] === '"') {
              field += '"';
              at += 2;
              continue;
            }
            at += 1;
            break;
          }
          if (ch === '\n') line += 1;
          field += ch;
          at += 1;
        }
        const next = text[at];
        if (at < n && next !== ',' && next !== '\n' && !(next === '\r' && text[at + 1] === '\n')) {
          throw new CsvParseError(`line ${line}: text after a closing quote`);
        }
      } else {
        while (at < n && text[at] !== ',' && text[at] !== '\n' && !(text[at] === '\r' && text[at + 1] === '\n')) {
          if (text[at] === '"') throw new CsvParseError(`line ${line}: a quote inside an unquoted field`);
          field += text[at];
          at += 1;
        }
      }
      fields.push(field);
      if (text[at] === ',') {
        at += 1;
        continue;
      }
      if (text[at] === '\r') at += 1;
      if (text[at] === '\n') {
        at += 1;
        line += 1;
      }
      break;
    }
    records.push({ line: start, fields });
  }
  const [head, ...body] = records;
  if (!head) throw new CsvParseError('line 1: no header row');
  for (const r of body) {
    if (r.fields.length !== head.fields.length) {
      throw new CsvParseError(`line ${r.line}: ${r.fields.length} field(s) where the header has ${head.fields.length}`);
    }
  }
  return { header: head.fields, rows: body.map((r) => r.fields) };
}

/** A cell as compared: JSON numbers, booleans and null as CSV would write them. */
function cell(value: unknown): string {
  if (value === null || value === undefined) return '';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/**
 * The reference as a table: a JSON array of objects (columns: the first object's keys, in order)
 * or CSV text. Undefined when the reference is neither (then nothing is matched).
 */
function referenceTable(reference: string | readonly string[] | undefined): CsvTable | undefined {
  if (typeof reference !== 'string') return undefined;
  try {
    const parsed = JSON.parse(reference) as unknown;
    if (
      Array.isArray(parsed) &&
      parsed.length > 0 &&
      parsed.every((r) => r && typeof r === 'object' && !Array.isArray(r))
    ) {
      const rows = parsed as Record<string, unknown>[];
      const header = Object.keys(rows[0] ?? {});
      return { header, rows: rows.map((r) => header.map((h) => cell(r[h]))) };
    }
    return undefined;
  } catch {
    // Not JSON: CSV text, if it parses.
  }
  try {
    return parseCsv(reference);
  } catch {
    return undefined;
  }
}

const MAX_LISTED = 10;

/**
 * Facts of an output holding a `csv` part (its first one): whether it parses, its rows and columns,
 * and against a reference table the header (reference columns present / missing, output columns
 * extra) and the cells: reference row i against output row i, each reference column by name,
 * compared as trimmed text (`different` lists the first mismatches as `row N column C`, a missing
 * row or column counting every cell of it). Null when the output holds no `csv` part.
 */
export function csvFacts(content: Content, reference: string | readonly string[] | undefined): CsvFacts | null {
  if (typeof content === 'string') return null;
  const part = content.find((p) => p.type === 'csv');
  if (!part) return null;
  let table: CsvTable;
  try {
    table = parseCsv(part.data);
  } catch (error) {
    if (!(error instanceof CsvParseError)) throw error;
    return { parse_error: error.message, rows: 0, columns: [], header_match: null, field_match: null };
  }
  const ref = referenceTable(reference);
  const base = { parse_error: null, rows: table.rows.length, columns: table.header };
  if (!ref) return { ...base, header_match: null, field_match: null };
  const columns = table.header.map((h) => h.trim());
  const missing = ref.header.filter((h) => !columns.includes(h.trim()));
  const extra = columns.filter((h) => !ref.header.some((r) => r.trim() === h));
  const different: string[] = [];
  let matched = 0;
  for (const [i, refRow] of ref.rows.entries()) {
    for (const [j, name] of ref.header.entries()) {
      const k = columns.indexOf(name.trim());
      const got = k >= 0 ? table.rows[i]?.[k] : undefined;
      if (got !== undefined && got.trim() === (refRow[j] ?? '').trim()) matched += 1;
      else different.push(`row ${i + 1} column ${name}`);
    }
  }
  return {
    ...base,
    header_match: { matched: ref.header.length - missing.length, total: ref.header.length, missing, extra },
    field_match: { matched, total: ref.rows.length * ref.header.length, different: different.slice(0, MAX_LISTED) },
  };
}
