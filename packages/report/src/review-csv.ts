import { csvLine } from './csv-cell.ts';
import type { ReviewMatrix } from './review-matrix.ts';

/**
 * The review matrix as CSV (RFC 4180, CRLF line ends): a header of the matrix's column keys, then one
 * record per sample with the same cells. Text a spreadsheet would run as a formula is defused.
 */
export function reviewCsv(matrix: ReviewMatrix): string {
  const lines = [csvLine(matrix.columns.map((c) => c.key))];
  for (const row of matrix.rows) lines.push(csvLine(row.cells));
  return lines.join('');
}
