import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createGpuMetrics } from './metrics.ts';
import { parseNvidiaSmiCsv } from './nvidia-smi.ts';

const lines = (text: string): string[] => text.split('\n').filter((l) => l.startsWith('gavel_gpu_'));

describe('createGpuMetrics', () => {
  it('reports an absent card as absent: present 0 and no reading series at all, never zeros', async () => {
    const registry = new Registry();
    const metrics = createGpuMetrics(registry, { gpu: '0' });
    const [reading] = parseNvidiaSmiCsv('0, GPU-ab, NVIDIA GeForce RTX 5090, 31100, 32607, 96, 573.12, 575.00, 44');
    metrics.observeSnapshot({ status: 'present', gpus: reading ? [reading] : [], at: 0 }, reading);
    expect(await registry.metrics()).toMatch(/gavel_gpu_memory_used_bytes\{gpu="0",uuid="GPU-ab"\} 32610713600/);
    metrics.observeSnapshot({ status: 'absent', reason: 'nvidia-smi: ENOENT', at: 1 }, undefined);
    const text = lines(await registry.metrics());
    expect(text).toContain('gavel_gpu_present{gpu="0"} 0');
    expect(text.filter((l) => /memory|utilization|power|temperature/.test(l))).toEqual([]);
  });

  it('leaves out a field the card cannot report', async () => {
    const registry = new Registry();
    const metrics = createGpuMetrics(registry, { gpu: '0' });
    const [reading] = parseNvidiaSmiCsv('0, GPU-cd, NVIDIA GB10, [N/A], [N/A], 7, [N/A], [N/A], 48');
    metrics.observeSnapshot({ status: 'present', gpus: reading ? [reading] : [], at: 0 }, reading);
    const text = lines(await registry.metrics());
    expect(text).toContain('gavel_gpu_utilization_ratio{gpu="0",uuid="GPU-cd"} 0.07');
    expect(text).toContain('gavel_gpu_temperature_celsius{gpu="0",uuid="GPU-cd"} 48');
    expect(text.filter((l) => /memory|power/.test(l))).toEqual([]);
  });

  it('keeps one owner at 1 and the fencing token of the current grant', async () => {
    const registry = new Registry();
    const metrics = createGpuMetrics(registry, { gpu: '0' });
    metrics.observeLease({ holder: 'a', owner: 'vllm', phase: 'ready', token: 12, grantedAt: 0 });
    let text = lines(await registry.metrics());
    expect(text).toContain('gavel_gpu_lease_owner{gpu="0",owner="vllm"} 1');
    expect(text).toContain('gavel_gpu_lease_owner{gpu="0",owner="ollama"} 0');
    expect(text).toContain('gavel_gpu_lease_fencing_token{gpu="0"} 12');
    metrics.observeLease(undefined);
    text = lines(await registry.metrics());
    expect(text).toContain('gavel_gpu_lease_owner{gpu="0",owner="none"} 1');
    expect(text).toContain('gavel_gpu_lease_owner{gpu="0",owner="vllm"} 0');
  });
});
