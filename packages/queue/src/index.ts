export { GAVEL_BACKOFF, gavelBackoff } from './backoff.ts';
export type {
  CreatedBatch,
  FlushCandidates,
  FlushDecision,
  FlushInput,
  FlushWindow,
  HeldLock,
  IntentMember,
  ListedBatch,
  RecoveryApi,
  ResubmitPolicy,
  SendOutcome,
} from './batch/index.ts';
export {
  BATCH_BODY_OVERHEAD,
  BatchRecord,
  BatchSampleState,
  BatchStore,
  CUSTOM_ID_PATTERN,
  customIdFor,
  failBatchSample,
  flushCandidates,
  flushDecision,
  halves,
  holdLock,
  intentKeyFor,
  intentRequestIds,
  orderCustomIdFor,
  pollDelayMs,
  recoverIntents,
  reopenFailedRequest,
  requestBytes,
  resubmitOrFail,
  SubmitIntent,
  sendWithIntent,
  submittedStates,
} from './batch/index.ts';
export { ImageStore, sampleImageBytes } from './image-store.ts';
export type { StageJobPolicy } from './job-catalog.ts';
export { DEFAULT_POLICY, jobOptionsFor } from './job-catalog.ts';
export type { EnqueueRunInput, EnqueueRunResult } from './producer.ts';
export { enqueueRun } from './producer.ts';
export type { RedisClient, RedisRole, RedisTarget } from './redis.ts';
export {
  closeRedis,
  createRedis,
  describeRedisTarget,
  isCluster,
  pingWithin,
  redisTarget,
  redisTargetVariable,
} from './redis.ts';
export type { SampleRecord } from './run-export-page.ts';
export type { RunListPage } from './run-list-page.ts';
export type { RunProgress } from './run-progress.ts';
export { RunStore } from './run-store.ts';
export type { RunStoreObserver } from './run-store-observer.ts';
export type { QueueContext, StageQueue } from './stage-queue.ts';
export { addOrRetryJob, addStageJob, addStageJobs, SAMPLE_JOB_NAME, stageQueue } from './stage-queue.ts';
export type { StageContext, StageHooks, StageProcessor, StageWorker, StageWorkerOptions } from './stage-worker.ts';
export { startStageWorker } from './stage-worker.ts';
export { legacyLayoutMessage, StoreLayout } from './store-layout.ts';
export type { StoreMigration } from './store-migration.ts';
export { migrateStoreLayout } from './store-migration.ts';
export type { StageBuildContext, StageProcessOptions } from './worker-process.ts';
export { runStageProcess } from './worker-process.ts';
