export { splitCommandLine } from './command-line.ts';
export type { GpuAgentConfig } from './config.ts';
export { DEFAULT_VLLM_COMMAND, GpuAgentEnv, loadGpuAgentConfig } from './config.ts';
export type { EnergyState, PowerSample } from './energy.ts';
export { EMPTY_ENERGY, energyCostUsd, integratePower, JOULES_PER_KWH, joulesToKwh } from './energy.ts';
export { handToOllama, handToVllm } from './handover.ts';
export type { HandoverDeps, HandoverResult, TimelineEntry, VramProbe } from './handover-steps.ts';
export { formatTimeline } from './handover-steps.ts';
export type { JudgeGate, PausableWorker } from './judge-gate.ts';
export { createJudgeGate, gatedProcessor, ownerMayRun, startJudgeGate } from './judge-gate.ts';
export { JudgeGateEnv, loadJudgeGateConfig } from './judge-gate-config.ts';
export type { GpuLeaseKeys, GpuLeaseOptions, LeaseGrant } from './lease.ts';
export {
  GpuLease,
  GpuOwner,
  gpuLeaseKeys,
  LeaseLostError,
  LeasePhase,
  LeaseRecord,
  parseLeaseRecord,
} from './lease.ts';
export type { LeaseWatch } from './lease-watch.ts';
export { watchLease } from './lease-watch.ts';
export type { GpuMetrics } from './metrics.ts';
export { createGpuMetrics } from './metrics.ts';
export type { GpuSnapshot, NvidiaSmiReader } from './nvidia-smi.ts';
export {
  createNvidiaSmiReader,
  findGpu,
  GpuReading,
  NVIDIA_SMI_ARGS,
  NVIDIA_SMI_FIELDS,
  parseNvidiaSmiCsv,
} from './nvidia-smi.ts';
export type { OllamaController } from './ollama-controller.ts';
export { createOllamaController, OllamaPs } from './ollama-controller.ts';
export type { OllamaGate, OllamaGateOptions } from './ollama-gate.ts';
export { gateDecision, startOllamaGate } from './ollama-gate.ts';
export type { DemandDecision, DemandInput } from './owner-decision.ts';
export { decideOwner } from './owner-decision.ts';
export { sleep } from './sleep.ts';
export type { VllmController, VllmControllerOptions } from './vllm-controller.ts';
export { createVllmController } from './vllm-controller.ts';
