import { coerceError, type Logger } from '@gavel/core';
import {
  EMPTY_ENERGY,
  type EnergyState,
  energyCostUsd,
  findGpu,
  type GpuMetrics,
  integratePower,
  type LeaseWatch,
  type NvidiaSmiReader,
  sleep,
} from '@gavel/gpu-lease';

/**
 * Samples nvidia-smi every `intervalMs` until `signal` aborts: the card's gauges, and the energy
 * drawn (power integrated over time) booked to whoever owned the card at the time, with its cost.
 * A failed read is logged and skipped; resolves once stopped.
 */
export async function sampleGpuTelemetry(options: {
  smi: NvidiaSmiReader;
  metrics: GpuMetrics;
  watch: LeaseWatch;
  gpuId: string;
  intervalMs: number;
  usdPerKwh: number;
  signal: AbortSignal;
  log: Logger;
}): Promise<void> {
  const { signal, metrics } = options;
  let energy: EnergyState = EMPTY_ENERGY;
  while (!signal.aborted) {
    try {
      const snapshot = await options.smi.read(signal);
      const reading = findGpu(snapshot, options.gpuId);
      metrics.observeSnapshot(snapshot, reading);
      const before = energy.joules;
      energy = integratePower(
        energy,
        reading?.powerDrawW === undefined ? undefined : { at: snapshot.at, watts: reading.powerDrawW },
        // A reader down for longer than this adds nothing rather than a guess.
        Math.max(options.intervalMs * 3, 30_000),
      );
      const joules = energy.joules - before;
      metrics.addEnergy(joules, energyCostUsd(joules, options.usdPerKwh), options.watch.current()?.owner ?? 'none');
    } catch (error) {
      if (!signal.aborted) options.log.warn({ err: coerceError(error) }, 'GPU telemetry failed');
    }
    await sleep(options.intervalMs, signal).catch(() => {});
  }
}
