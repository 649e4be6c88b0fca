export { exactMatch, normalizeAnswer, referenceFacts, tokenF1 } from './reference-metrics.ts';
export type { CodeFactsFn, SandboxStageDeps } from './sandbox-stage.ts';
export { createSandboxStage, textFacts } from './sandbox-stage.ts';
