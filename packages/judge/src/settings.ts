// The judge's settings alone (configuration, the family and precision rules), without its HTTP
// clients and SDKs: what a producer needs to pin a run, so `gavel enqueue` starts without loading
// the openai SDK and undici (`@gavel/judge/settings`; `@gavel/judge` exports the same names).
export { checkFamilyClash } from './family-clash.ts';
export type { JudgeConfig, LlmJudgeSettings } from './judge-config.ts';
export { JudgeEnv, loadJudgeConfig } from './judge-config.ts';
export { isCompressedPrecision } from './sut-precision.ts';
