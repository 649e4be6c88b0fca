import type { Metrics } from './metrics.ts';

/** The part of the run store the sampler reads (structurally `RunStore` from @gavel/queue). */
export interface ProgressSource {
  recentRuns(n: number): Promise<string[]>;
  progress(runId: string): Promise<{ total: number; verdicts: number }>;
}

/**
 * Sets `gavel_run_samples` and `gavel_run_final_verdicts` for the `runs` most recent runs every
 * `intervalMs` (a bounded label set: older runs drop out of the gauges, not out of the store).
 */
export function startRunProgressSampler(options: {
  metrics: Metrics;
  store: ProgressSource;
  runs?: number;
  intervalMs?: number;
  onError?: (error: Error) => void;
}): { sample(): Promise<void>; stop(): void } {
  const { metrics, store } = options;
  const sample = async (): Promise<void> => {
    const runIds = await store.recentRuns(options.runs ?? 20);
    const progress = await Promise.all(runIds.map((id) => store.progress(id)));
    metrics.runSamples.reset();
    metrics.runFinal.reset();
    runIds.forEach((run_id, i) => {
      metrics.runSamples.set({ run_id }, progress[i]?.total ?? 0);
      metrics.runFinal.set({ run_id }, progress[i]?.verdicts ?? 0);
    });
  };
  const timer = setInterval(() => {
    sample().catch((error: Error) => options.onError?.(error));
  }, options.intervalMs ?? 5_000);
  timer.unref();
  return { sample, stop: () => clearInterval(timer) };
}
