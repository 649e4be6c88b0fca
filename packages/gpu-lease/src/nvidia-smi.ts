import { execFile } from 'node:child_process';
import { z } from 'zod';

/** The `--query-gpu` fields gavel reads, in this order. */
export const NVIDIA_SMI_FIELDS = [
  'index',
  'uuid',
  'name',
  'memory.used',
  'memory.total',
  'utilization.gpu',
  'power.draw',
  'power.limit',
  'temperature.gpu',
] as const;

export const NVIDIA_SMI_ARGS = [`--query-gpu=${NVIDIA_SMI_FIELDS.join(',')}`, '--format=csv,noheader,nounits'];

/** One GPU's reading; a field the card cannot report (`[N/A]`) is absent, never 0. */
export const GpuReading = z.object({
  index: z.number().int().min(0),
  uuid: z.string(),
  name: z.string(),
  memoryUsedMiB: z.number().optional(),
  memoryTotalMiB: z.number().optional(),
  /** 0–100 (%). */
  utilizationPercent: z.number().optional(),
  powerDrawW: z.number().optional(),
  powerLimitW: z.number().optional(),
  temperatureC: z.number().optional(),
});
export type GpuReading = z.infer<typeof GpuReading>;

/** `present` with readings, `absent` when there is no nvidia-smi (no GPU host), `error` otherwise. */
export type GpuSnapshot =
  | { status: 'present'; gpus: GpuReading[]; at: number }
  | { status: 'absent'; reason: string; at: number }
  | { status: 'error'; reason: string; at: number };

const NOT_AVAILABLE = /^\[(N\/A|Not Supported|Unknown Error|Insufficient Permissions|GPU is lost)\]$/i;

function numberField(raw: string, field: string, line: number): number | undefined {
  const value = raw.trim();
  if (NOT_AVAILABLE.test(value) || value === '') return undefined;
  const n = Number(value);
  if (!Number.isFinite(n))
    throw new Error(`nvidia-smi line ${line}: ${field} is not a number: ${JSON.stringify(value)}`);
  return n;
}

/** Parses `--format=csv,noheader,nounits` output of {@link NVIDIA_SMI_ARGS}, one GPU per line. */
export function parseNvidiaSmiCsv(text: string): GpuReading[] {
  const readings: GpuReading[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    if (raw.trim() === '') return;
    const cells = raw.split(',').map((c) => c.trim());
    if (cells.length !== NVIDIA_SMI_FIELDS.length) {
      throw new Error(
        `nvidia-smi line ${i + 1}: expected ${NVIDIA_SMI_FIELDS.length} fields (${NVIDIA_SMI_FIELDS.join(',')}), got ${cells.length}: ${JSON.stringify(raw)}`,
      );
    }
    const [index, uuid, name, used, total, util, draw, limit, temp] = cells as [
      string,
      string,
      string,
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    const gpuIndex = numberField(index, 'index', i + 1);
    if (gpuIndex === undefined) throw new Error(`nvidia-smi line ${i + 1}: no GPU index: ${JSON.stringify(raw)}`);
    const reading: GpuReading = { index: gpuIndex, uuid, name };
    const set = <K extends keyof GpuReading>(key: K, value: GpuReading[K] | undefined): void => {
      if (value !== undefined) reading[key] = value;
    };
    set('memoryUsedMiB', numberField(used, 'memory.used', i + 1));
    set('memoryTotalMiB', numberField(total, 'memory.total', i + 1));
    set('utilizationPercent', numberField(util, 'utilization.gpu', i + 1));
    set('powerDrawW', numberField(draw, 'power.draw', i + 1));
    set('powerLimitW', numberField(limit, 'power.limit', i + 1));
    set('temperatureC', numberField(temp, 'temperature.gpu', i + 1));
    readings.push(reading);
  });
  return readings;
}

export interface NvidiaSmiReader {
  read(signal: AbortSignal): Promise<GpuSnapshot>;
}

/**
 * Runs `nvidia-smi` (a path or a name looked up on PATH) with a deadline. A missing binary is
 * reported as `absent` so dashboards show "no GPU", not a card with 0 MiB used.
 */
export function createNvidiaSmiReader(options: { binary: string; timeoutMs: number }): NvidiaSmiReader {
  return {
    read(signal) {
      return new Promise((resolve) => {
        execFile(
          options.binary,
          NVIDIA_SMI_ARGS,
          { timeout: options.timeoutMs, signal, encoding: 'utf8', maxBuffer: 1 << 20 },
          (error, stdout, stderr) => {
            const at = Date.now();
            if (error) {
              const code = (error as NodeJS.ErrnoException).code;
              if (code === 'ENOENT' || code === 'EACCES') {
                resolve({ status: 'absent', reason: `${options.binary}: ${code}`, at });
              } else {
                resolve({ status: 'error', reason: `${options.binary} failed: ${stderr.trim() || error.message}`, at });
              }
              return;
            }
            try {
              resolve({ status: 'present', gpus: parseNvidiaSmiCsv(stdout), at });
            } catch (parseError) {
              resolve({ status: 'error', reason: (parseError as Error).message, at });
            }
          },
        );
      });
    },
  };
}

/** The reading of GPU `gpuId` (an index or a UUID) in a snapshot. */
export function findGpu(snapshot: GpuSnapshot, gpuId: string): GpuReading | undefined {
  if (snapshot.status !== 'present') return undefined;
  return snapshot.gpus.find((g) => String(g.index) === gpuId || g.uuid === gpuId);
}
