export type { RunRecords } from './run-records.ts';
export { ExportRecord } from './run-records.ts';
