export type { RubricAnswer } from './answer-schema.ts';
export { answerSchemaFor, parseRubricAnswer } from './answer-schema.ts';
export type { AdversarialResult, AttackOutcome } from './gates/adversarial.ts';
export { adversarialGate } from './gates/adversarial.ts';
export type { Confusion, Kappa, Rate } from './gates/agreement.ts';
export { cohenKappa, cohenKappaTable, confusion, rate, trueNegativeRate, truePositiveRate } from './gates/agreement.ts';
export type { ContaminationResult, ContaminationTask, PublicSource } from './gates/contamination.ts';
export { contaminationGate, contaminationTokens, ngramIndex, overlapWith, TOKENIZER } from './gates/contamination.ts';
export type { DiscriminativeResult, DiscriminativeThresholds, LabelledOutcome } from './gates/discriminative.ts';
export { DEFAULT_DISCRIMINATIVE, discriminativeGate } from './gates/discriminative.ts';
export type { GateReport } from './gates/gate-report.ts';
export { failedGates, formatGateReport, GATE_NAMES, gateHeadline } from './gates/gate-report.ts';
export type { PairAdversarialResult, PairAttackOutcome } from './gates/pair-adversarial.ts';
export { pairAdversarialGate } from './gates/pair-adversarial.ts';
export type {
  PairDiscriminativeResult,
  PairDiscriminativeThresholds,
  PairLabelledOutcome,
} from './gates/pair-discriminative.ts';
export { DEFAULT_PAIR_DISCRIMINATIVE, pairDiscriminativeGate } from './gates/pair-discriminative.ts';
export type { PinnedResult } from './gates/pinned.ts';
export { pinnedGate } from './gates/pinned.ts';
export type { GateHeadline, RubricLockEntry } from './lock-file.ts';
export { gateReportPath, gateReportProblem, lockPath, RubricLock, readLock, writeLock } from './lock-file.ts';
export type {
  PairCriterionOutcome,
  PairwiseAnswer,
  ParsedPairwiseAnswer,
  PositionPreference,
} from './pairwise-answer.ts';
export {
  agreedOutcome,
  B_SHARE,
  orderJudgement,
  POSITIONS,
  pairCriteria,
  pairwiseAnswerSchemaFor,
  pairwiseAsGraderAnswer,
  parsePairwiseAnswer,
  sideOf,
} from './pairwise-answer.ts';
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
export {
  DEFAULT_RUBRICS,
  loadRubric,
  loadRubricFile,
  parseRubricSpec,
  readLibraryRubric,
} from './rubric-library.ts';
