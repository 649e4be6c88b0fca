import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gpuLeaseKeys, parseLeaseRecord } from '@gavel/gpu-lease';
import { RunStore, stageQueue } from '@gavel/queue';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gavel, jsonl, ROOT, SOURCE_NODE, SOURCE_NODE_ARGS } from '../support/gavel.ts';
import { freePort } from '../support/redis.ts';
import { type StageProcess, startStageProcess } from '../support/stage-process.ts';
import { AGENT_MAIN, FAKE_VLLM, type GpuRig, startGpuRig, waitFor } from './gpu-fixtures.ts';

// One GPU shared by the system under test and the judge: the real gpu-agent process with
// GAVEL_SUT_VLLM_COMMAND gives the card to the SUT's vLLM (a fake vLLM process it starts) while
// generate jobs wait, then — through Ollama, under new fencing tokens — to the judge's FP4 vLLM;
// the real generate and judge workers, both gated on the lease, ask each server only while it owns
// the card. Real Redis, real processes; vLLM, Ollama and nvidia-smi are fakes.

let rig: GpuRig;
let redis: Redis;
let sutPort: number;

beforeAll(async () => {
  rig = await startGpuRig();
  redis = new Redis(rig.redis.url);
  sutPort = await freePort();
});

afterAll(async () => {
  redis.disconnect();
  await rig.close();
});

interface Logged {
  model: string;
  seed: number | undefined;
  prompt: string;
  at: number;
}

async function readLog(path: string): Promise<Logged[]> {
  const text = await readFile(path, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Logged);
}

describe('one GPU for the SUT and the judge', () => {
  it('serves the SUT while generate jobs wait, then the judge, with fenced handovers through Ollama', {
    timeout: 180_000,
  }, async () => {
    const sutLog = join(rig.dir, 'sut-requests.jsonl');
    const judgeLog = join(rig.dir, 'judge-requests.jsonl');
    const sutUrl = `http://127.0.0.1:${sutPort}`;
    const agentEnv = rig.env(
      {
        GAVEL_SUT_VLLM_COMMAND: `${process.execPath} ${SOURCE_NODE} ${FAKE_VLLM} --sut --model sut-model --port ${sutPort} --vram-dir ${rig.vramDir} --vram-mib 30000 --requests-log ${sutLog}`,
        GAVEL_SUT_VLLM_URL: sutUrl,
        GAVEL_METRICS_PORT: '0',
        GAVEL_LOG_LEVEL: 'warn',
      },
      `--requests-log ${judgeLog}`,
    );
    const leaseKey = gpuLeaseKeys('gavel', '0').lease;
    const current = async () => parseLeaseRecord(await redis.get(leaseKey));
    // Every lease value the card goes through, in order: the agent publishes each one on the lease's channel.
    const seen: Array<{ owner: string; phase: string; token: number }> = [];
    const subscriber = new Redis(rig.redis.url);
    subscriber.on('message', (_channel: string, raw: string) => {
      const r = parseLeaseRecord(raw);
      if (r) seen.push({ owner: r.owner, phase: r.phase, token: r.token });
    });
    await subscriber.subscribe(gpuLeaseKeys('gavel', '0').channel);
    const agent = spawn(process.execPath, [...SOURCE_NODE_ARGS, AGENT_MAIN], {
      cwd: ROOT,
      env: { ...process.env, ...agentEnv },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let agentErr = '';
    agent.stderr?.on('data', (c: Buffer) => {
      agentErr += c.toString();
    });
    const agentExit = once(agent, 'exit');
    const workers: StageProcess[] = [];
    try {
      await waitFor('the card with Ollama', async () => (await current())?.owner === 'ollama', 60_000);
      const env = {
        GAVEL_REDIS_URL: rig.redis.url,
        GAVEL_LOG_LEVEL: 'warn',
        GAVEL_METRICS_PORT: '0',
        GAVEL_DATA_DIR: rig.dir,
        GAVEL_SUT_URL: sutUrl,
        GAVEL_SUT_MODEL: 'sut-model',
        GAVEL_SUT_GPU_GATE: '1',
        GAVEL_JUDGE: 'vllm',
        GAVEL_JUDGE_URL: `http://127.0.0.1:${rig.vllmPort}`,
        GAVEL_JUDGE_MODEL: 'judge-model',
        GAVEL_JUDGE_FAMILY: 'judgefam',
        GAVEL_JUDGE_GPU_GATE: '1',
        GAVEL_GPU_POLL_MS: '100',
      };
      const prompts = join(rig.dir, 'prompts.jsonl');
      await writeFile(
        prompts,
        jsonl(
          ['France', 'Spain', 'Italy'].map((c, i) => ({
            id: `p-${i}`,
            kind: 'text',
            prompt: `What is the capital of ${c}?`,
            reference: 'Paris',
          })),
        ),
      );
      // The SUT is down until generate jobs wait: the producer approximates the tokens and says so.
      const enq = await gavel(
        ['enqueue', prompts, '--generate', '2', '--sut-family', 'acme', '--run', 'run-one-gpu'],
        env,
      );
      expect(enq.code, enq.stderr).toBe(0);
      expect(enq.stderr).toMatch(/approximated: 4 characters a token/);
      for (const stage of ['generate', 'sandbox', 'judge'] as const) workers.push(startStageProcess(stage, env));
      const store = new RunStore(redis);
      await waitFor('all six judged', async () => (await store.progress('run-one-gpu')).judged === 6, 150_000);

      const sutAsked = await readLog(sutLog);
      const judgeAsked = await readLog(judgeLog);
      // Each (prompt, seed) asked of the SUT once; each sample judged once.
      expect(sutAsked).toHaveLength(6);
      expect(new Set(sutAsked.map((r) => `${r.prompt}|${r.seed}`)).size).toBe(6);
      expect(sutAsked.every((r) => r.model === 'sut-model')).toBe(true);
      expect(judgeAsked).toHaveLength(6);
      // The judge was asked nothing before the last completion: it waited while generation was pending.
      expect(Math.min(...judgeAsked.map((r) => r.at))).toBeGreaterThan(Math.max(...sutAsked.map((r) => r.at)));

      const completions = [...(await store.generation.all('run-one-gpu')).values()];
      expect(completions).toHaveLength(6);
      expect(completions.every((c) => c.requests === 1 && c.model === 'sut-model')).toBe(true);

      // The card: Ollama → SUT (handover, then ready) → Ollama → judge vLLM, each grant a new, higher token.
      // After the start-up recovery (token 1), each grant a new token, each phase change under it.
      // (A phase set again to what it was publishes the same value again: counted once.)
      const states = seen.map((s) => `${s.owner}:${s.phase}:${s.token}`).filter((v, i, all) => v !== all[i - 1]);
      // The judge queue idle for GAVEL_GPU_IDLE_S, the card may already be on its way back to Ollama.
      expect(['vllm:draining:5', 'ollama:ready:6'].slice(0, states.length - 8)).toEqual(states.slice(8));
      expect(states.slice(0, 8)).toEqual([
        'vllm:draining:1',
        'ollama:ready:2',
        'sut:handover:3',
        'sut:ready:3',
        'sut:draining:3',
        'ollama:ready:4',
        'vllm:handover:5',
        'vllm:ready:5',
      ]);
      // The generate queue is empty, so the judge kept the card.
      const generate = stageQueue('generate', { connection: redis, prefix: '{gavel}' });
      expect(await generate.count()).toBe(0);
      await generate.close();
    } catch (error) {
      throw new Error(`${(error as Error).message}\nlease: ${JSON.stringify(seen)}\nagent: ${agentErr.slice(-4000)}`);
    } finally {
      for (const w of workers) await w.stop();
      agent.kill('SIGTERM');
      await agentExit;
      subscriber.disconnect();
    }
    // Stopping hands the card back to Ollama and frees every vLLM's VRAM.
    const files = await import('node:fs/promises').then((fs) => fs.readdir(rig.vramDir));
    expect(files.filter((f) => f.endsWith('-vllm.mib'))).toEqual([]);
  });
});
