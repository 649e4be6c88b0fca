// What preparing a run needs (validate, pin rubrics and stages, the manifest, the images), without
// the report, export and arbiter modules of `@gavel/runs`: `gavel enqueue` imports
// `@gavel/runs/preparation` and starts without loading the arbiter, the judge's HTTP clients and
// their SDKs (`@gavel/runs` exports the same names).
export type { DatasetImages } from './dataset-images.ts';
export { resolveDatasetImages, shownImages } from './dataset-images.ts';
export type { DatasetCheck } from './run-preparation.ts';
export { checkDataset, newRunId, pinRubrics, runManifest } from './run-preparation.ts';
export { runStagesFromEnv } from './run-stages.ts';
