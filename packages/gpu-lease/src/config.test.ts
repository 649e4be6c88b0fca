import { ConfigError } from '@gavel/core';
import { describe, expect, it } from 'vitest';
import { loadGpuAgentConfig } from './config.ts';

describe('loadGpuAgentConfig', () => {
  it('fills defaults: loopback gate, FP4 vLLM with fp8 KV cache at 0.90 memory and 16k context', () => {
    const config = loadGpuAgentConfig({});
    expect(config.GAVEL_OLLAMA_GATE_HOST).toBe('127.0.0.1');
    expect(config.vllmArgv.slice(0, 2)).toEqual(['vllm', 'serve']);
    expect(config.vllmArgv.join(' ')).toMatch(
      /--kv-cache-dtype fp8 .*--gpu-memory-utilization 0\.90 --max-model-len 16384/,
    );
    expect(config.leaseTtlMs).toBe(15_000);
    expect(config.vllmPidFile).toBe('.gavel/vllm-gpu0.pid');
  });

  it('compiles seconds to milliseconds and splits the command line', () => {
    const config = loadGpuAgentConfig({
      GAVEL_GPU_ID: 'GPU-5e1f3c2a',
      GAVEL_GPU_LEASE_TTL_S: '2.5',
      GAVEL_GPU_IDLE_S: '0',
      GAVEL_GPU_POLL_MS: '100',
      GAVEL_VLLM_COMMAND: `node fake.ts --port 8001 --served-model-name "judge model"`,
      GAVEL_VLLM_STOP_TIMEOUT_S: '3',
    });
    expect(config.leaseTtlMs).toBe(2500);
    expect(config.idleMs).toBe(0);
    expect(config.timeouts.vllmStopMs).toBe(3000);
    expect(config.vllmArgv).toEqual(['node', 'fake.ts', '--port', '8001', '--served-model-name', 'judge model']);
  });

  it('names the bad variable', () => {
    expect(() => loadGpuAgentConfig({ GAVEL_GPU_LEASE_TTL_S: '-1' })).toThrow(/GAVEL_GPU_LEASE_TTL_S="-1"/);
    expect(() => loadGpuAgentConfig({ GAVEL_VLLM_COMMAND: 'vllm "serve' })).toThrow(ConfigError);
    expect(() => loadGpuAgentConfig({ GAVEL_GPU_LEASE_TTL_S: '1', GAVEL_GPU_POLL_MS: '900' })).toThrow(
      /GAVEL_GPU_POLL_MS=900 must be at most half of GAVEL_GPU_LEASE_TTL_S/,
    );
    expect(() => loadGpuAgentConfig({ GAVEL_OLLAMA_GATE: 'maybe' })).toThrow(/GAVEL_OLLAMA_GATE/);
  });

  it('takes a Redis Cluster, and refuses GAVEL_REDIS_URL beside it', () => {
    expect(loadGpuAgentConfig({ GAVEL_REDIS_CLUSTER: '127.0.0.1:7000' }).GAVEL_REDIS_CLUSTER).toEqual([
      { host: '127.0.0.1', port: 7000 },
    ]);
    expect(() =>
      loadGpuAgentConfig({ GAVEL_REDIS_CLUSTER: '127.0.0.1:7000', GAVEL_REDIS_URL: 'redis://127.0.0.1:6379' }),
    ).toThrow(/GAVEL_REDIS_URL and GAVEL_REDIS_CLUSTER are both set/);
  });
});
