export type { RubricAnswer } from './answer-schema.ts';
export { answerSchemaFor, parseRubricAnswer } from './answer-schema.ts';
export type { PairwiseAnswer, ParsedPairwiseAnswer, PositionPreference } from './pairwise-answer.ts';
export { POSITIONS, pairwiseAnswerSchemaFor, pairwiseAsGraderAnswer, parsePairwiseAnswer } from './pairwise-answer.ts';
export type { LoadedRubric } from './rubric.ts';
export {
  assertRubricBytes,
  FactMetric,
  parseRubric,
  RubricCriterion,
  RubricHeader,
  rubricKey,
  sha256Hex,
} from './rubric.ts';
export type { RubricCache } from './rubric-cache.ts';
export { createRubricCache } from './rubric-cache.ts';
export { DEFAULT_RUBRICS, loadRubric, parseRubricSpec, RubricLock } from './rubric-library.ts';
