import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { GpuLease, type LeaseGrant, LeaseLostError, type LeaseRecord } from '@gavel/gpu-lease';
import { addStageJobs, stageQueue } from '@gavel/queue';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SOURCE_NODE_ARGS } from '../support/gavel.ts';
import { AGENT_MAIN, type GpuRig, ROOT, startGpuRig, waitFor } from './gpu-fixtures.ts';

let rig: GpuRig;
let redis: Redis;

beforeAll(async () => {
  rig = await startGpuRig();
  redis = new Redis(rig.redis.url);
});

afterAll(async () => {
  redis.disconnect();
  await rig.close();
});

interface AgentProcess {
  child: ChildProcess;
  logs: Array<Record<string, unknown>>;
  exited: Promise<[number | null, NodeJS.Signals | null]>;
  find(msg: RegExp): Record<string, unknown> | undefined;
}

const children: AgentProcess[] = [];
afterEach(async () => {
  for (const a of children.splice(0)) {
    if (a.child.exitCode === null && a.child.signalCode === null) {
      a.child.kill('SIGCONT');
      a.child.kill('SIGTERM');
      await a.exited;
    }
  }
});

/** The real gpu-agent main as a child process; its pino JSON lines are collected. */
function spawnAgent(env: Record<string, string>): AgentProcess {
  const child = spawn(process.execPath, [...SOURCE_NODE_ARGS, AGENT_MAIN], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const logs: Array<Record<string, unknown>> = [];
  let buffer = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    const lines = buffer.split('\n');
    buffer = lines.pop() ?? '';
    for (const line of lines) {
      try {
        logs.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        logs.push({ msg: line });
      }
    }
  });
  const agent: AgentProcess = {
    child,
    logs,
    exited: once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>,
    find: (msg) => logs.find((l) => typeof l.msg === 'string' && msg.test(l.msg)),
  };
  children.push(agent);
  return agent;
}

/** Running (a zombie left by a stopped parent counts as gone: it holds no memory). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat[stat.lastIndexOf(')') + 2] !== 'Z';
}

async function setup(): Promise<{ env: Record<string, string>; lease: GpuLease; pidFile: string }> {
  const prefix = `f${randomUUID().slice(0, 8)}`;
  const env = rig.env({
    GAVEL_STORE_PREFIX: prefix,
    GAVEL_QUEUE_PREFIX: `{${prefix}}`,
    GAVEL_OLLAMA_GATE: 'false',
    GAVEL_GPU_LEASE_TTL_S: '2',
  });
  const config = rig.config(env);
  const queue = stageQueue('judge', { connection: redis, prefix: config.GAVEL_QUEUE_PREFIX });
  await addStageJobs(queue, [
    { runId: 'r', sampleId: 'a' },
    { runId: 'r', sampleId: 'b' },
  ]);
  await queue.close();
  const lease = new GpuLease({ redis, prefix, gpuId: '0', ttlMs: config.leaseTtlMs });
  return { env, lease, pidFile: config.vllmPidFile };
}

async function vllmReady(lease: GpuLease): Promise<LeaseRecord> {
  let record: LeaseRecord | undefined;
  await waitFor('vLLM to own the card', async () => {
    record = await lease.current();
    return record?.owner === 'vllm' && record.phase === 'ready';
  });
  return record as LeaseRecord;
}

async function refusal(action: () => Promise<unknown>): Promise<LeaseLostError> {
  const error = await action().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(LeaseLostError);
  return error as LeaseLostError;
}

describe('GPU lease fencing with real agent processes', () => {
  it('lets a new agent take over after a SIGKILLed holder expires, with a higher token, refusing the stale grant', async () => {
    const { env, lease, pidFile } = await setup();
    const first = spawnAgent(env);
    const held = await vllmReady(lease);
    const orphanPid = Number.parseInt(await readFile(pidFile, 'utf8'), 10);
    expect(alive(orphanPid)).toBe(true);

    first.child.kill('SIGKILL');
    await first.exited;
    const killedAt = Date.now();
    // The lease outlives its holder until the TTL runs out; vLLM (an orphan now) still runs.
    expect((await lease.current())?.token).toBe(held.token);
    expect(alive(orphanPid)).toBe(true);

    const second = spawnAgent(env);
    await waitFor('the new agent to take the lease', () => second.find(/GPU lease acquired/) !== undefined);
    const acquired = second.find(/GPU lease acquired/) as { fencingToken: number; holder: string; time: number };
    expect(acquired.fencingToken).toBeGreaterThan(held.token);
    expect(acquired.holder).not.toBe(held.holder);

    await waitFor('the orphaned vLLM to be stopped', () => !alive(orphanPid));
    await waitFor('the orphan stop to be logged', () => second.find(/stopped a vLLM left/) !== undefined);
    expect(second.find(/stopped a vLLM left by a previous agent/)).toMatchObject({ vllmPid: orphanPid });

    // The stale holder's grant is refused for every action on the card.
    const stale: LeaseGrant = { holder: held.holder, owner: held.owner, phase: held.phase, token: held.token };
    const refusals = [
      await refusal(() => lease.renew(stale)),
      await refusal(() => lease.fence(stale, 'start vLLM')),
      await refusal(() => lease.setPhase(stale, 'ready')),
      await refusal(() => lease.transfer(stale, 'ollama', 'ready')),
      await refusal(() => lease.release(stale)),
    ];
    for (const r of refusals) expect(r.current?.holder).toBe(acquired.holder);
    process.stdout.write(
      `\nfencing after SIGKILL: dead holder ${held.holder} token ${held.token}; new holder ${acquired.holder} token ${acquired.fencingToken} (${acquired.time - killedAt} ms after the kill)\n${refusals.map((r) => `  refused: ${r.message}`).join('\n')}\n`,
    );

    // Judge work is still pending, so the new agent brings vLLM back under its own grant.
    const again = await vllmReady(lease);
    expect(again.holder).toBe(acquired.holder);
    expect(again.token).toBeGreaterThan(acquired.fencingToken);
    const newPid = Number.parseInt(await readFile(pidFile, 'utf8'), 10);
    expect(newPid).not.toBe(orphanPid);

    // A graceful stop gives the card back to Ollama and releases the lease.
    second.child.kill('SIGTERM');
    const [code] = await second.exited;
    expect(code).toBe(128 + 15);
    expect(await lease.current()).toBeUndefined();
    expect(alive(newPid)).toBe(false);
  });

  it('makes a holder paused past its expiry stop at once when it wakes: its renewal is refused', async () => {
    const { env, lease, pidFile } = await setup();
    const paused = spawnAgent(env);
    const held = await vllmReady(lease);
    const vllmPid = Number.parseInt(await readFile(pidFile, 'utf8'), 10);

    paused.child.kill('SIGSTOP');
    const successor = spawnAgent(env);
    await waitFor('the successor to take the lease', () => successor.find(/GPU lease acquired/) !== undefined);
    const acquired = successor.find(/GPU lease acquired/) as { fencingToken: number; holder: string };
    expect(acquired.fencingToken).toBeGreaterThan(held.token);
    await waitFor('the paused holder’s vLLM to be stopped', () => !alive(vllmPid));

    paused.child.kill('SIGCONT');
    const [code] = await paused.exited;
    expect(code).toBe(75);
    const lost = paused.find(/GPU lease lost/) as { err: { message: string } };
    expect(lost.err.message).toMatch(
      new RegExp(
        `fencing token ${held.token}: the lease is held by ${acquired.holder.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`,
      ),
    );
    process.stdout.write(`\nfencing after SIGSTOP/SIGCONT: ${lost.err.message}\n`);
    // The successor's lease is untouched by the stale holder.
    const now = await lease.current();
    expect(now?.holder).toBe(acquired.holder);
    expect(now?.token).toBeGreaterThanOrEqual(acquired.fencingToken);
  });
});
