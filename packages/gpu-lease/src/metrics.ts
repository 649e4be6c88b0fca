import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { HandoverResult } from './handover-steps.ts';
import type { GpuOwner, LeaseRecord } from './lease.ts';
import type { GpuReading, GpuSnapshot } from './nvidia-smi.ts';

const MIB = 1024 * 1024;
const OWNERS = ['ollama', 'vllm', 'sut', 'none'] as const;

export interface GpuMetrics {
  /** Sets the card's gauges from a snapshot; absent fields and absent cards leave no series behind. */
  observeSnapshot(snapshot: GpuSnapshot, reading: GpuReading | undefined): void;
  /** Adds energy drawn while `owner` held the card (so the judge's share can be priced per sample). */
  addEnergy(joules: number, usd: number, owner: GpuOwner | 'none'): void;
  observeLease(record: LeaseRecord | undefined): void;
  observeHandover(result: HandoverResult): void;
}

/** The gpu-agent's metrics on `registry`; labels are bounded (the GPU, owners, outcomes). */
export function createGpuMetrics(registry: Registry, options: { gpu: string }): GpuMetrics {
  const gpu = options.gpu;
  const reg = [registry];
  const gauge = (name: string, help: string) => new Gauge({ name, help, labelNames: ['gpu', 'uuid'], registers: reg });
  const memUsed = gauge('gavel_gpu_memory_used_bytes', 'VRAM used (nvidia-smi memory.used)');
  const memTotal = gauge('gavel_gpu_memory_total_bytes', 'VRAM total (nvidia-smi memory.total)');
  const util = gauge('gavel_gpu_utilization_ratio', 'GPU utilization 0-1 (nvidia-smi utilization.gpu)');
  const power = gauge('gavel_gpu_power_watts', 'Power draw (nvidia-smi power.draw)');
  const powerLimit = gauge('gavel_gpu_power_limit_watts', 'Power limit (nvidia-smi power.limit)');
  const temperature = gauge('gavel_gpu_temperature_celsius', 'GPU temperature (nvidia-smi temperature.gpu)');
  const present = new Gauge({
    name: 'gavel_gpu_present',
    help: '1 when nvidia-smi reports the card, 0 when absent or unreadable',
    labelNames: ['gpu'],
    registers: reg,
  });
  const energy = new Counter({
    name: 'gavel_gpu_energy_joules_total',
    help: 'Energy drawn by the card (power integrated over time), by the owner of the card at the time',
    labelNames: ['gpu', 'owner'],
    registers: reg,
  });
  const cost = new Counter({
    name: 'gavel_gpu_energy_cost_usd_total',
    help: 'Electricity cost of that energy at GAVEL_ELECTRICITY_USD_PER_KWH, by owner',
    labelNames: ['gpu', 'owner'],
    registers: reg,
  });
  const owner = new Gauge({
    name: 'gavel_gpu_lease_owner',
    help: '1 for the current owner of the card (ollama, vllm, sut or none)',
    labelNames: ['gpu', 'owner'],
    registers: reg,
  });
  const token = new Gauge({
    name: 'gavel_gpu_lease_fencing_token',
    help: 'Fencing token of the current lease grant',
    labelNames: ['gpu'],
    registers: reg,
  });
  const handovers = new Counter({
    name: 'gavel_gpu_handovers_total',
    help: 'Handovers of the card by direction and outcome',
    labelNames: ['gpu', 'from', 'to', 'outcome'],
    registers: reg,
  });
  const duration = new Histogram({
    name: 'gavel_gpu_handover_duration_seconds',
    help: 'Duration of a handover, all steps',
    labelNames: ['gpu', 'from', 'to'],
    buckets: [0.5, 1, 5, 10, 30, 60, 120, 300, 600, 1200],
    registers: reg,
  });
  for (const o of OWNERS) {
    energy.inc({ gpu, owner: o }, 0);
    cost.inc({ gpu, owner: o }, 0);
  }
  const readingGauges = [memUsed, memTotal, util, power, powerLimit, temperature];

  return {
    observeSnapshot(snapshot, reading) {
      for (const g of readingGauges) g.reset();
      if (snapshot.status !== 'present' || !reading) {
        present.set({ gpu }, 0);
        return;
      }
      present.set({ gpu }, 1);
      const labels = { gpu, uuid: reading.uuid };
      const set = (g: Gauge, value: number | undefined): void => {
        if (value !== undefined) g.set(labels, value);
      };
      set(memUsed, reading.memoryUsedMiB === undefined ? undefined : reading.memoryUsedMiB * MIB);
      set(memTotal, reading.memoryTotalMiB === undefined ? undefined : reading.memoryTotalMiB * MIB);
      set(util, reading.utilizationPercent === undefined ? undefined : reading.utilizationPercent / 100);
      set(power, reading.powerDrawW);
      set(powerLimit, reading.powerLimitW);
      set(temperature, reading.temperatureC);
    },
    addEnergy(joules, usd, owner) {
      if (joules > 0) energy.inc({ gpu, owner }, joules);
      if (usd > 0) cost.inc({ gpu, owner }, usd);
    },
    observeLease(record) {
      const current = record?.owner ?? 'none';
      for (const o of OWNERS) owner.set({ gpu, owner: o }, o === current ? 1 : 0);
      if (record) token.set({ gpu }, record.token);
    },
    observeHandover(result) {
      handovers.inc({ gpu, from: result.from, to: result.to, outcome: result.outcome });
      duration.observe({ gpu, from: result.from, to: result.to }, result.durationMs / 1000);
    },
  };
}
