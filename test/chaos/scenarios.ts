import { setTimeout as sleep } from 'node:timers/promises';
import { prng } from '../support/synthetic-run.ts';
import { LOCK_MS, type Rig, type RigOptions } from './chaos-rig.ts';

/** One fault: when it struck, when it was lifted, and which samples were in flight when it struck. */
export interface Fault {
  what: string;
  at: number;
  liftedAt: number;
  inFlight: string[];
  verdictsAtLift: number;
}

/** How big a chaos run is: the bounded form in `npm test`, the long form in `npm run chaos`. */
export interface ChaosForm {
  name: 'bounded' | 'long';
  text: number;
  code: number;
  /** How long the judge server stays down. */
  judgeDownMs: number;
  /** How long Redis stays full. */
  fullMs: number;
}

export interface Scenario {
  id: string;
  /** The row's label. */
  fault: string;
  rig?: Partial<RigOptions>;
  /** Fraction of the run ended before the fault is injected. */
  startAt: number;
  inject(rig: Rig, form: ChaosForm): Promise<Fault[]>;
}

async function fault(rig: Rig, what: string, act: () => Promise<void>): Promise<Fault> {
  const inFlight = await rig.inFlight();
  const at = Date.now();
  await act();
  return { what, at, liftedAt: Date.now(), inFlight, verdictsAtLift: await rig.verdictCount() };
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 180_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** The pid of the live process of `stage` under `gavel workers` (the supervisor restarts killed ones). */
async function stagePid(rig: Rig, stage: string): Promise<number> {
  let pid = 0;
  await until(`worker-${stage} to be running`, async () => {
    const matches = [...rig.workers.output().matchAll(new RegExp(`worker-${stage} started \\(pid (\\d+)\\)`, 'g'))];
    pid = Number(matches.at(-1)?.[1] ?? 0);
    return pid > 0 && alive(pid);
  });
  return pid;
}

export const SCENARIOS: Scenario[] = [
  {
    id: 'redis-kill',
    fault: 'SIGKILL redis-server, restart from AOF (everysec)',
    startAt: 0.3,
    async inject(rig) {
      return [
        await fault(rig, 'redis SIGKILL', async () => {
          await rig.redis.kill('SIGKILL');
          await rig.writes.detach();
          await sleep(2_000);
          await rig.restartRedis();
        }),
      ];
    },
  },
  {
    id: 'redis-stop',
    fault: `SIGSTOP redis-server ${(2 * LOCK_MS + 1_000) / 1000} s (job lock ${LOCK_MS / 1000} s), SIGCONT`,
    startAt: 0.3,
    async inject(rig) {
      const info = await rig.probe.info('server');
      const pid = Number(/process_id:(\d+)/.exec(info)?.[1]);
      return [
        await fault(rig, 'redis SIGSTOP', async () => {
          process.kill(pid, 'SIGSTOP');
          await sleep(2 * LOCK_MS + 1_000);
          process.kill(pid, 'SIGCONT');
        }),
      ];
    },
  },
  {
    id: 'docker-restart',
    fault: 'restart the (private) Docker engine mid-run',
    rig: { privateDocker: true },
    startAt: 0.2,
    async inject(rig) {
      const docker = rig.docker;
      if (!docker) throw new Error('the docker-restart scenario needs its private dockerd');
      // Strike while a sandbox container runs on it.
      await until(
        'a sandbox container on the private engine',
        async () => (await docker.docker(['ps', '-q'])).trim() !== '',
        120_000,
      );
      return [await fault(rig, 'dockerd restart', () => docker.restart())];
    },
  },
  {
    id: 'judge-outage',
    fault: 'judge server down, then 503 and 429 with Retry-After',
    startAt: 0.25,
    async inject(rig, form) {
      const vllm = rig.vllm;
      if (!vllm) throw new Error('the judge-outage scenario needs the in-process judge server');
      return [
        await fault(rig, `judge down ${form.judgeDownMs / 1000} s`, async () => {
          await vllm.down();
          await sleep(form.judgeDownMs);
          await vllm.up();
        }),
        await fault(rig, 'judge 503/429', async () => {
          const before = vllm.counts.failed;
          vllm.failNext(40, 503, 1);
          vllm.failNext(40, 429, 2);
          await until('the injected 503s and 429s to be answered', async () => vllm.counts.failed >= before + 80);
        }),
      ];
    },
  },
  {
    id: 'worker-kills',
    fault: 'SIGKILL worker processes ×10 (every stage, the gpu-agent too)',
    rig: { gpu: true },
    startAt: 0.05,
    async inject(rig) {
      const rand = prng(16);
      const targets = ['sandbox', 'judge', 'arbiter-submit', 'arbiter-collect', 'gpu-agent'];
      const order = [...targets, ...targets].sort(() => rand() - 0.5);
      const faults: Fault[] = [];
      for (const [i, target] of order.entries()) {
        // At random moments spread over the run: each kill after a random share of it has ended.
        const threshold = Math.floor(rig.total * (0.05 + 0.08 * i + 0.05 * rand()));
        await until(`${threshold} samples ended`, async () => (await rig.ended()) >= threshold);
        await sleep(rand() * 500);
        if (target === 'gpu-agent') {
          const agent = rig.agent;
          faults.push(
            await fault(rig, 'kill gpu-agent', async () => {
              agent?.kill('SIGKILL');
              await sleep(1_000);
              rig.restartAgent();
            }),
          );
        } else {
          const pid = await stagePid(rig, target);
          faults.push(
            await fault(rig, `kill worker-${target}`, async () => {
              process.kill(pid, 'SIGKILL');
            }),
          );
        }
      }
      return faults;
    },
  },
  {
    id: 'redis-full',
    fault: 'fill Redis to maxmemory (noeviction), then free room',
    startAt: 0.3,
    async inject(rig, form) {
      const keys: string[] = [];
      return [
        await fault(rig, 'redis full', async () => {
          const info = await rig.probe.info('memory');
          const used = Number(/used_memory:(\d+)/.exec(info)?.[1]);
          await rig.probe.config('SET', 'maxmemory', String(used + 4 * 1024 * 1024));
          const filler = 'x'.repeat(256 * 1024);
          for (let i = 0; ; i += 1) {
            const key = `chaos:filler:${i}`;
            try {
              await rig.probe.set(key, filler);
              keys.push(key);
            } catch (error) {
              if (!/OOM/.test((error as Error).message)) throw error;
              break;
            }
          }
          await sleep(form.fullMs);
          if (keys.length > 0) await rig.probe.del(...keys);
          await rig.probe.config('SET', 'maxmemory', '0');
        }),
      ];
    },
  },
];
