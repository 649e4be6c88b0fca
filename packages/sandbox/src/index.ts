export { exactMatch, normalizeAnswer, referenceFacts, tokenF1 } from './reference-metrics.ts';
