export type { CompareOptions } from './compare.ts';
export { compareRuns } from './compare.ts';
export { Comparison, FlipEntry, RunFigures } from './comparison.ts';
export { formatComparison } from './format-comparison.ts';
export { RubricMismatchError } from './rubric-check.ts';
export type { RunRecords } from './run-records.ts';
export { ExportRecord } from './run-records.ts';
