export type { FlushDecision, FlushInput } from '@gavel/queue';
export { CUSTOM_ID_PATTERN, customIdFor, flushDecision, intentKeyFor, pollDelayMs } from '@gavel/queue';
export type { ParsedAnswer } from './arbiter-answer.ts';
export { readJsonAnswer, readToolAnswer } from './arbiter-answer.ts';
export { createArbiterClients } from './arbiter-clients.ts';
export type { ArbiterConfig } from './arbiter-config.ts';
export { ArbiterEnv, loadArbiterConfig, readPrices } from './arbiter-config.ts';
export type { ArbiterDeps } from './arbiter-deps.ts';
export type { ArbiterMetrics, ArbiterResultType } from './arbiter-metrics.ts';
export { createArbiterPromMetrics, noArbiterMetrics } from './arbiter-metrics.ts';
export { ArbiterSampleState, BatchRecord, SubmitIntent } from './arbiter-records.ts';
export type { ArbiterRequestInput, ArbiterRequestParams, ArbiterTool, SystemBlock } from './arbiter-request.ts';
export {
  ARBITER_INSTRUCTIONS,
  arbiterSystem,
  buildArbiterRequest,
  buildPrimingRequest,
  VERDICT_TOOL,
  verdictTool,
} from './arbiter-request.ts';
export { ArbiterStore } from './arbiter-store.ts';
export { arbiterVerdict, unarbitratedVerdict } from './arbiter-verdict.ts';
export { judgeDrained } from './batch-flush.ts';
export { createArbiterCollectStage } from './collect-stage.ts';
export type { CostSummary } from './cost-ledger.ts';
export { ArbiterUsage, RequestCost, requestCost, summarizeCosts } from './cost-ledger.ts';
export type { ArbiterCostReport } from './cost-report.ts';
export { buildCostReport, costReport } from './cost-report.ts';
export { pinnedArbiterMismatch } from './pinned-arbiter.ts';
export { DEFAULT_PRICES, ModelPrice, PriceTable } from './price-table.ts';
export { arbiterJobId } from './stage-jobs.ts';
export { createArbiterSubmitStage } from './submit-stage.ts';
