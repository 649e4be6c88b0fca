import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createNvidiaSmiReader, findGpu, parseNvidiaSmiCsv } from './nvidia-smi.ts';

// Lines in the format real nvidia-smi prints for
// --query-gpu=index,uuid,name,memory.used,memory.total,utilization.gpu,power.draw,power.limit,temperature.gpu
// --format=csv,noheader,nounits (no GPU was lent to this task: these are recorded-format lines,
// not captured here). GB10 (unified memory) withholds its memory fields; laptops often withhold power.
const RTX_5090_BUSY =
  '0, GPU-5e1f3c2a-8d7b-4c1e-9a6f-0b2d4e6f8a10, NVIDIA GeForce RTX 5090, 31100, 32607, 96, 573.12, 575.00, 44';
const TWO_H100 = [
  '0, GPU-0b7c5d2e-1f3a-4b6c-8d9e-2a4c6e8f0b1d, NVIDIA H100 80GB HBM3, 74322, 81559, 100, 689.41, 700.00, 61',
  '1, GPU-9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d, NVIDIA H100 80GB HBM3, 0, 81559, 0, 69.63, 700.00, 31',
].join('\n');
const GB10 = '0, GPU-a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d, NVIDIA GB10, [N/A], [N/A], 7, [N/A], [N/A], 48';
const LAPTOP =
  '0, GPU-12345678-9abc-4def-8123-456789abcdef, NVIDIA GeForce RTX 3050 Laptop GPU, 5, 4096, 0, [Not Supported], [N/A], 45';

describe('parseNvidiaSmiCsv', () => {
  it('reads every field of a busy card in MiB, %, W and °C', () => {
    expect(parseNvidiaSmiCsv(`${RTX_5090_BUSY}\n`)).toEqual([
      {
        index: 0,
        uuid: 'GPU-5e1f3c2a-8d7b-4c1e-9a6f-0b2d4e6f8a10',
        name: 'NVIDIA GeForce RTX 5090',
        memoryUsedMiB: 31100,
        memoryTotalMiB: 32607,
        utilizationPercent: 96,
        powerDrawW: 573.12,
        powerLimitW: 575,
        temperatureC: 44,
      },
    ]);
  });

  it('reads one reading per GPU line and finds a card by index or UUID', () => {
    const gpus = parseNvidiaSmiCsv(TWO_H100);
    expect(gpus.map((g) => [g.index, g.memoryUsedMiB, g.powerDrawW])).toEqual([
      [0, 74322, 689.41],
      [1, 0, 69.63],
    ]);
    const snapshot = { status: 'present' as const, gpus, at: 0 };
    expect(findGpu(snapshot, '1')?.uuid).toBe('GPU-9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d');
    expect(findGpu(snapshot, 'GPU-0b7c5d2e-1f3a-4b6c-8d9e-2a4c6e8f0b1d')?.index).toBe(0);
    expect(findGpu(snapshot, '2')).toBeUndefined();
  });

  it('leaves [N/A] and [Not Supported] fields absent instead of reading them as 0', () => {
    const [gb10] = parseNvidiaSmiCsv(GB10);
    expect(gb10).toEqual({
      index: 0,
      uuid: 'GPU-a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d',
      name: 'NVIDIA GB10',
      utilizationPercent: 7,
      temperatureC: 48,
    });
    const [laptop] = parseNvidiaSmiCsv(LAPTOP);
    expect(laptop).not.toHaveProperty('powerDrawW');
    expect(laptop).not.toHaveProperty('powerLimitW');
    expect(laptop?.memoryUsedMiB).toBe(5);
  });

  it('names the line and field of malformed output', () => {
    expect(() => parseNvidiaSmiCsv(`${RTX_5090_BUSY}\n0, GPU-x, card, 12 MiB, 100, 1, 2, 3, 4`)).toThrow(
      /line 2: memory.used is not a number: "12 MiB"/,
    );
    expect(() => parseNvidiaSmiCsv('0, GPU-x, card, 1, 2')).toThrow(/line 1: expected 9 fields/);
  });
});

describe('createNvidiaSmiReader', () => {
  it('reports absence, not zeros, when there is no nvidia-smi binary', async () => {
    const reader = createNvidiaSmiReader({ binary: '/nonexistent/nvidia-smi', timeoutMs: 2_000 });
    const snapshot = await reader.read(AbortSignal.timeout(5_000));
    expect(snapshot.status).toBe('absent');
    expect(findGpu(snapshot, '0')).toBeUndefined();
  });

  it('runs the binary with the query and parses its output', async () => {
    const fake = join(import.meta.dirname, '..', '..', '..', 'test', 'fakes', 'nvidia-smi');
    const dir = await mkdtemp(join(tmpdir(), 'gavel-smi-'));
    try {
      process.env.FAKE_NVIDIA_SMI_DIR = dir;
      const reader = createNvidiaSmiReader({ binary: fake, timeoutMs: 5_000 });
      const snapshot = await reader.read(AbortSignal.timeout(10_000));
      expect(snapshot.status).toBe('present');
      expect(findGpu(snapshot, '0')?.memoryTotalMiB).toBe(32607);
      await writeFile(join(dir, 'fail'), '');
      const failed = await reader.read(AbortSignal.timeout(10_000));
      expect(failed).toMatchObject({ status: 'error' });
      expect(failed.status === 'error' && failed.reason).toMatch(/Driver\/library version mismatch/);
    } finally {
      delete process.env.FAKE_NVIDIA_SMI_DIR;
      await rm(dir, { recursive: true, force: true });
    }
  });
});
