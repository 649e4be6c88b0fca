export { BatchRecord, BatchSampleState, SubmitIntent } from './batch-records.ts';
export { type CandidateOrigin, CandidatesLine, expandCandidates } from './candidates.ts';
export type { BaseConfig } from './config.ts';
export { assertOneRedisTarget, BaseEnv, loadBaseConfig } from './config.ts';
export type { StoredImage } from './content.ts';
export {
  Content,
  ContentPart,
  CsvPart,
  contentImages,
  contentParts,
  contentText,
  ImageMediaType,
  ImagePart,
  isStoredImage,
  JsonPart,
  TextPart,
} from './content.ts';
export type { DatasetError, DatasetFile, NativeJsonlParser, ParsedDataset } from './dataset.ts';
export {
  datasetHash,
  formatDatasetError,
  HumanEvalProblem,
  HumanEvalSampleLine,
  humanEvalSample,
  nativeJsonlParser,
  parseHumanEvalProblems,
  parseHumanEvalSamples,
  parseNativeJsonl,
  readDatasetFile,
} from './dataset.ts';
export { endpointDiffers, normaliseEndpoint } from './endpoint.ts';
export { envBoolean, envPort, parseEnv, withoutPassword } from './env.ts';
export { ConfigError, coerceError, InputError, TransientError } from './errors.ts';
export { EXIT_CONFIG, runMain } from './exit-on-config-error.ts';
export {
  Diagnostic,
  Facts,
  PairSideFacts,
  ReferenceFacts,
  TestCase,
  TestFacts,
  TestOutcome,
  ToolFacts,
} from './facts.ts';
export { Completion, CompletionUsage, GenerationIntent, GenerationSlot } from './generation.ts';
export { ID_PATTERN, Id, jobIdFor, parseJobId, toIdSafe } from './ids.ts';
export type { ImageHeader } from './image-format.ts';
export { base64Length, checkImage, IMAGE_LIMITS, readImageHeader } from './image-format.ts';
export { SampleJob } from './job.ts';
export type { Logger } from './logger.ts';
export { silentLogger } from './logger.ts';
export {
  ArbiterRunConfig,
  CriticRunConfig,
  GenerateRunConfig,
  JudgeRunConfig,
  RoutingConfig,
  RubricRef,
  RunManifest,
  SandboxRunConfig,
} from './manifest.ts';
export {
  ARBITER_BATCH_NS,
  apiIdempotencyKey,
  arbiterBatchKey,
  arbiterClaimedKey,
  arbiterPrimedKey,
  arbiterRunKey,
  batchBatchKey,
  batchClaimedKey,
  batchRunKey,
  embeddingKey,
  GENERATE_BATCH_NS,
  gpuLeaseKeyBase,
  imageKey,
  imageRefsKey,
  legacyKeys,
  rubricTextKey,
  runImagesKey,
  runKey,
  runKeyPrefix,
  runsListKey,
  runTag,
  STORE_LAYOUT,
  stageQueuePrefix,
  storeLayoutKey,
} from './redis-keys.ts';
export {
  CarriedFacts,
  Claims,
  PairSample,
  PairSide,
  PointwiseKind,
  PointwiseSample,
  primarySystem,
  Sample,
  SampleKind,
  Sut,
  sampleSystems,
} from './sample.ts';
export type { Shutdown } from './shutdown.ts';
export { createShutdown } from './shutdown.ts';
export type { Stage } from './stage.ts';
export { assertExhaustive, isStage, QUEUE_NAMES, STAGES } from './stage.ts';
export {
  ArbiterPairOrder,
  Consistency,
  CriterionScore,
  Critique,
  GraderAnswer,
  PairOrderJudgement,
  PairOutcome,
  PairPreference,
  PairwiseVerdict,
  RouteReason,
  SampleFailure,
  TokenUsage,
  Verdict,
} from './verdict.ts';
export { GAVEL_VERSION } from './version.ts';
