import { existsSync } from 'node:fs';
import type { Logger } from '@gavel/core';
import { createNvidiaSmiReader, findGpu, formatTimeline, type HandoverResult } from '@gavel/gpu-lease';
import { addStageJobs } from '@gavel/queue';
import { createLogger } from '@gavel/telemetry';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type GpuRig,
  ollamaChat,
  type RunningAgent,
  startGpuRig,
  startInProcessAgent,
  waitFor,
} from './gpu-fixtures.ts';

let rig: GpuRig;
const logger: Logger = createLogger({ name: 'gpu-test', level: 'warn', pretty: false });

beforeAll(async () => {
  rig = await startGpuRig();
});

afterAll(async () => {
  await rig.close();
});

const running: RunningAgent[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) await r.stop();
});

async function startAgent(overrides: Record<string, string> = {}, vllmFlags = ''): Promise<RunningAgent> {
  const r = await startInProcessAgent(rig, logger, overrides, vllmFlags);
  running.push(r);
  return r;
}

const smi = createNvidiaSmiReader({ binary: `${import.meta.dirname}/../fakes/nvidia-smi`, timeoutMs: 5_000 });
async function vramUsedMiB(): Promise<number | undefined> {
  return findGpu(await smi.read(AbortSignal.timeout(5_000)), '0')?.memoryUsedMiB;
}

function printTimeline(title: string, result: HandoverResult): void {
  process.stdout.write(
    `\n${title}: ${result.from} → ${result.to} ${result.outcome} in ${result.durationMs} ms (owner ${result.grant?.owner}, token ${result.grant?.token})\n${formatTimeline(result.timeline)}\n`,
  );
}

async function enqueueJudgeJobs(r: RunningAgent, count: number): Promise<void> {
  await addStageJobs(
    r.queue,
    Array.from({ length: count }, (_, i) => ({ runId: 'run1', sampleId: `s${i}` })),
  );
}

describe('gpu-agent handover', () => {
  it('hands the card to vLLM when judge jobs wait and back to Ollama when the queue is drained', async () => {
    const r = await startAgent();
    await waitFor('the agent to give the card to Ollama', () => r.watch.current()?.owner === 'ollama');
    const startToken = r.watch.current()?.token ?? 0;

    // An editor loads a model through the gate while Ollama owns the card.
    const loadRes = await ollamaChat(r.gate.url, 'rubric-writer', true);
    expect(loadRes.status).toBe(200);
    expect(loadRes.headers.get('content-type')).toBe('application/x-ndjson');
    const lines = (await loadRes.text()).trim().split('\n');
    expect(lines.length).toBe(2);
    expect(JSON.parse(lines[1] as string)).toMatchObject({ done: true, done_reason: 'stop' });
    await ollamaChat(rig.ollama.url, 'judge-model');
    expect(
      rig.ollama
        .loaded()
        .map((m) => m.name)
        .sort(),
    ).toEqual(['judge-model:latest', 'rubric-writer:latest']);
    expect(await vramUsedMiB()).toBeGreaterThan(15_000);

    await enqueueJudgeJobs(r, 5);
    await waitFor('a handover to vLLM', () => r.results.some((x) => x.to === 'vllm'));
    const toVllm = r.results.find((x) => x.to === 'vllm') as HandoverResult;
    printTimeline('handover to vLLM', toVllm);
    expect(toVllm.outcome).toBe('ok');
    expect(toVllm.timeline.map((e) => [e.step, e.outcome])).toEqual([
      ['grant-vllm', 'ok'],
      ['unload-ollama', 'ok'],
      ['wait-ollama-empty', 'ok'],
      ['wait-vram-free', 'ok'],
      ['start-vllm', 'ok'],
      ['wait-vllm-health', 'ok'],
      ['open-judge', 'ok'],
    ]);
    expect(rig.ollama.loaded()).toEqual([]);
    expect(
      rig.ollama.events
        .filter((e) => e.kind === 'unload')
        .map((e) => e.name)
        .sort(),
    ).toEqual(['judge-model:latest', 'rubric-writer:latest']);
    const lease = await r.lease.current();
    expect(lease).toMatchObject({ owner: 'vllm', phase: 'ready' });
    expect(lease?.token).toBeGreaterThan(startToken);
    const health = await fetch(`http://127.0.0.1:${rig.vllmPort}/health`);
    expect(health.status).toBe(200);
    expect(await vramUsedMiB()).toBeGreaterThanOrEqual(29_000);

    // While vLLM owns the card the gate refuses loads, in Ollama's and OpenAI's error shapes.
    const refused = await ollamaChat(r.gate.url, 'rubric-writer');
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('60');
    expect(((await refused.json()) as { error: string }).error).toMatch(/lent to the vLLM batch judge/);
    const refusedV1 = await fetch(`${r.gate.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'rubric-writer', messages: [{ role: 'user', content: 'x' }] }),
    });
    expect(refusedV1.status).toBe(503);
    expect(((await refusedV1.json()) as { error: { type: string } }).error.type).toBe('service_unavailable');
    const tags = await fetch(`${r.gate.url}/api/tags`);
    expect(tags.status).toBe(200);
    expect(rig.ollama.loaded()).toEqual([]);

    // Energy drawn while vLLM holds the card is counted as vLLM's.
    await waitFor('energy drawn under vLLM', async () =>
      /gavel_gpu_energy_joules_total\{gpu="0",owner="vllm"\} [1-9]/.test(await r.registry.metrics()),
    );
    process.stdout.write(
      `\nmetrics while vLLM owns the card:\n${(await r.registry.metrics())
        .split('\n')
        .filter((l) => /^gavel_gpu_(memory|utilization|power|temperature|present|energy|lease)/.test(l))
        .join('\n')}\n`,
    );

    // The judge queue drains; after the idle time the card goes back to Ollama.
    await r.queue.obliterate({ force: true });
    await waitFor('a handover back to Ollama', () =>
      r.results.some((x) => x.from === 'vllm' && x.to === 'ollama' && x !== r.results[0]),
    );
    const back = r.results.filter((x) => x.from === 'vllm').at(-1) as HandoverResult;
    printTimeline('handover to Ollama', back);
    expect(back.outcome).toBe('ok');
    expect(back.timeline.map((e) => [e.step, e.outcome])).toEqual([
      ['close-judge', 'ok'],
      ['stop-vllm', 'ok'],
      ['wait-vram-free', 'ok'],
      ['grant-ollama', 'ok'],
    ]);
    expect(back.timeline[1]?.detail).toMatch(/stopped with SIGTERM/);
    expect(await r.lease.current()).toMatchObject({ owner: 'ollama', phase: 'ready' });
    expect(back.grant?.token).toBeGreaterThan(lease?.token ?? 0);
    await expect(fetch(`http://127.0.0.1:${rig.vllmPort}/health`)).rejects.toThrow();
    expect(await vramUsedMiB()).toBeLessThan(1024);
    expect(existsSync(rig.config({ GAVEL_STORE_PREFIX: r.prefix }).vllmPidFile)).toBe(false);

    // The gauges follow the card: vLLM's memory is gone at the next reading.
    await waitFor('the freed VRAM in the gauges', async () => {
      const line = (await r.registry.metrics()).split('\n').find((l) => l.startsWith('gavel_gpu_memory_used_bytes{'));
      return line !== undefined && Number(line.split(' ').at(-1)) < 1024 * 1024 * 1024;
    });
    // Only now load a model again (it takes VRAM that the gauge would otherwise count).
    const again = await ollamaChat(r.gate.url, 'rubric-writer');
    expect(again.status).toBe(200);
    expect(rig.ollama.loaded().map((m) => m.name)).toEqual(['rubric-writer:latest']);
    const metrics = await r.registry.metrics();
    process.stdout.write(
      `\nmetrics after both handovers:\n${metrics
        .split('\n')
        .filter((l) => l.startsWith('gavel_gpu_') && !/_bucket\{/.test(l))
        .join('\n')}\n`,
    );
    expect(metrics).toMatch(/gavel_gpu_present\{gpu="0"\} 1/);
    expect(metrics).toMatch(
      new RegExp(`gavel_gpu_memory_total_bytes\\{gpu="0",uuid="GPU-[0-9a-f-]+"\\} ${32607 * 1024 * 1024}\n`),
    );
    expect(metrics).toMatch(/gavel_gpu_lease_owner\{gpu="0",owner="ollama"\} 1/);
    expect(metrics).toMatch(/gavel_gpu_lease_owner\{gpu="0",owner="vllm"\} 0/);
    expect(metrics).toMatch(new RegExp(`gavel_gpu_lease_fencing_token\\{gpu="0"\\} ${back.grant?.token}`));
    expect(metrics).toMatch(/gavel_gpu_handovers_total\{gpu="0",from="ollama",to="vllm",outcome="ok"\} 1/);
    expect(metrics).toMatch(/gavel_gpu_handovers_total\{gpu="0",from="vllm",to="ollama",outcome="ok"\} 2/);
    expect(metrics).toMatch(/gavel_gpu_handover_duration_seconds_count\{gpu="0",from="ollama",to="vllm"\} 1/);
    expect(metrics).toMatch(/gavel_gpu_energy_cost_usd_total\{gpu="0",owner="vllm"\} \d/);
  });

  it('leaves the card with Ollama when vLLM fails to start', async () => {
    const r = await startAgent({}, '--fail-start-after-ms 300');
    await waitFor('Ollama to own the card', () => r.watch.current()?.owner === 'ollama');
    await ollamaChat(rig.ollama.url, 'rubric-writer');
    await enqueueJudgeJobs(r, 2);
    await waitFor('the failed handover', () => r.results.some((x) => x.to === 'vllm'));
    const failed = r.results.find((x) => x.to === 'vllm') as HandoverResult;
    printTimeline('vLLM fails to start', failed);
    expect(failed.outcome).toBe('failed');
    expect(failed.error).toMatch(/vLLM exited \(code 1, signal null\) before \/health answered/);
    expect(failed.timeline.map((e) => [e.step, e.outcome])).toEqual([
      ['grant-vllm', 'ok'],
      ['unload-ollama', 'ok'],
      ['wait-ollama-empty', 'ok'],
      ['wait-vram-free', 'ok'],
      ['start-vllm', 'ok'],
      ['wait-vllm-health', 'failed'],
      ['rollback:stop-vllm', 'skipped'],
      ['rollback:grant-ollama', 'ok'],
    ]);
    expect(failed.timeline.find((e) => e.step === 'rollback:stop-vllm')?.detail).toBe('not running');
    const lease = await r.lease.current();
    expect(lease).toMatchObject({ owner: 'ollama', phase: 'ready', token: failed.grant?.token });
    // The gate lets editors back in, and the card is free.
    expect((await ollamaChat(r.gate.url, 'rubric-writer')).status).toBe(200);
    expect(await vramUsedMiB()).toBeLessThan(10_000);
    expect(await r.registry.metrics()).toMatch(
      /gavel_gpu_handovers_total\{gpu="0",from="ollama",to="vllm",outcome="failed"\} 1/,
    );
    // It does not retry at once (GAVEL_GPU_HANDOVER_RETRY_S), so editors are not kicked off in a loop.
    await new Promise((res) => setTimeout(res, 500));
    expect(r.results.filter((x) => x.to === 'vllm')).toHaveLength(1);
    await r.queue.obliterate({ force: true });
  });

  it('gives up and keeps the card with Ollama when Ollama refuses to unload', async () => {
    const r = await startAgent({ GAVEL_GPU_UNLOAD_TIMEOUT_S: '1' });
    await waitFor('Ollama to own the card', () => r.watch.current()?.owner === 'ollama');
    await ollamaChat(rig.ollama.url, 'rubric-writer');
    rig.ollama.setRefuseUnload(true);
    try {
      await enqueueJudgeJobs(r, 2);
      await waitFor('the failed handover', () => r.results.some((x) => x.to === 'vllm'));
    } finally {
      rig.ollama.setRefuseUnload(false);
    }
    const failed = r.results.find((x) => x.to === 'vllm') as HandoverResult;
    printTimeline('Ollama refuses to unload', failed);
    expect(failed.outcome).toBe('failed');
    expect(failed.error).toMatch(/step wait-ollama-empty timed out after 1000 ms: still loaded: rubric-writer:latest/);
    expect(failed.timeline.map((e) => [e.step, e.outcome])).toEqual([
      ['grant-vllm', 'ok'],
      ['unload-ollama', 'ok'],
      ['wait-ollama-empty', 'failed'],
      ['rollback:stop-vllm', 'skipped'],
      ['rollback:grant-ollama', 'ok'],
    ]);
    expect(await r.lease.current()).toMatchObject({ owner: 'ollama', phase: 'ready' });
    await expect(fetch(`http://127.0.0.1:${rig.vllmPort}/health`)).rejects.toThrow();
    expect(rig.ollama.loaded().map((m) => m.name)).toContain('rubric-writer:latest');
    await r.queue.obliterate({ force: true });
  });

  it('kills a vLLM that ignores SIGTERM after the stop timeout', async () => {
    const r = await startAgent({ GAVEL_VLLM_STOP_TIMEOUT_S: '1' }, '--ignore-sigterm');
    await waitFor('Ollama to own the card', () => r.watch.current()?.owner === 'ollama');
    await enqueueJudgeJobs(r, 1);
    await waitFor('vLLM to own the card', () => r.results.some((x) => x.to === 'vllm' && x.outcome === 'ok'));
    await r.queue.obliterate({ force: true });
    await waitFor('the card back with Ollama', () => r.results.filter((x) => x.to === 'ollama').length === 2);
    const back = r.results.at(-1) as HandoverResult;
    printTimeline('vLLM ignores SIGTERM', back);
    expect(back.outcome).toBe('ok');
    expect(back.timeline.find((e) => e.step === 'stop-vllm')?.detail).toBe('stopped with SIGKILL (exit null)');
    expect(await vramUsedMiB()).toBeLessThan(10_000);
  });

  it('gives the card back to Ollama when vLLM crashes while serving', async () => {
    const r = await startAgent({}, '--crash-after-ms 500');
    await waitFor('Ollama to own the card', () => r.watch.current()?.owner === 'ollama');
    await enqueueJudgeJobs(r, 1);
    await waitFor('the handover after the crash', () => r.results.filter((x) => x.to === 'ollama').length === 2);
    const back = r.results.at(-1) as HandoverResult;
    printTimeline('vLLM crashed', back);
    expect(back.outcome).toBe('ok');
    expect(back.timeline.find((e) => e.step === 'stop-vllm')).toMatchObject({
      outcome: 'skipped',
      detail: 'not running',
    });
    expect(await r.lease.current()).toMatchObject({ owner: 'ollama', phase: 'ready' });
    // Judge jobs still wait; the agent tries vLLM again only after GAVEL_GPU_HANDOVER_RETRY_S.
    expect(r.results.filter((x) => x.to === 'vllm')).toHaveLength(1);
    await r.queue.obliterate({ force: true });
  });

  it('rolls a handover to vLLM back and releases the lease when the agent is stopped during it', async () => {
    const r = await startAgent({}, '--start-delay-ms 20000');
    await waitFor('Ollama to own the card', () => r.watch.current()?.owner === 'ollama');
    await enqueueJudgeJobs(r, 1);
    const pidFile = rig.config({ GAVEL_STORE_PREFIX: r.prefix }).vllmPidFile;
    await waitFor('vLLM to be starting', () => r.watch.current()?.phase === 'handover' && existsSync(pidFile));
    await r.agent.stop();
    const aborted = r.results.find((x) => x.to === 'vllm') as HandoverResult;
    printTimeline('stopped during the handover', aborted);
    expect(aborted.outcome).toBe('failed');
    expect(aborted.timeline.slice(-3).map((e) => [e.step, e.outcome])).toEqual([
      ['wait-vllm-health', 'failed'],
      ['rollback:stop-vllm', 'ok'],
      ['rollback:grant-ollama', 'ok'],
    ]);
    expect(await r.lease.current()).toBeUndefined();
    expect(existsSync(pidFile)).toBe(false);
    await r.queue.obliterate({ force: true });
  });
});
