import type { Metrics } from './metrics.ts';

/** The part of a BullMQ Queue the sampler reads. */
export interface SampledQueue {
  getJobCounts(...types: (typeof DEPTH_STATES)[number][]): Promise<Record<string, number>>;
  getJobs(types: 'wait'[], start?: number, end?: number, asc?: boolean): Promise<({ timestamp: number } | undefined)[]>;
}

export const DEPTH_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'failed', 'completed'] as const;

/** Samples depth per state and the oldest waiting job's age for one stage's queue every `intervalMs`. */
export function startQueueDepthSampler(options: {
  metrics: Metrics;
  stage: string;
  queue: SampledQueue;
  intervalMs?: number;
  onError?: (error: Error) => void;
}): { sample(): Promise<void>; stop(): void } {
  const { metrics, stage, queue } = options;
  const sample = async (): Promise<void> => {
    const counts = await queue.getJobCounts(...DEPTH_STATES);
    for (const state of DEPTH_STATES) metrics.queueDepth.set({ stage, state }, counts[state] ?? 0);
    const [oldest] = await queue.getJobs(['wait'], 0, 0, true);
    metrics.oldestWaitingAge.set({ stage }, oldest ? Math.max(0, (Date.now() - oldest.timestamp) / 1000) : 0);
  };
  const timer = setInterval(() => {
    sample().catch((error: Error) => options.onError?.(error));
  }, options.intervalMs ?? 5_000);
  timer.unref();
  return { sample, stop: () => clearInterval(timer) };
}
