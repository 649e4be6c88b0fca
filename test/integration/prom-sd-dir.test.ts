import { readdir, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PrometheusServer, startPrometheus } from '../support/prometheus.ts';
import { type RedisServer, startRedis } from '../support/redis.ts';
import { type StageProcess, startStageProcess } from '../support/stage-process.ts';

let redis: RedisServer;
let prom: PrometheusServer;
const started: StageProcess[] = [];

beforeAll(async () => {
  redis = await startRedis();
  prom = await startPrometheus();
});

afterAll(async () => {
  for (const p of started) await p.stop('SIGKILL');
  await prom.stop();
  await redis.stop();
});

async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 600; i += 1) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`gave up waiting: ${what}`);
}

function start(): StageProcess {
  const p = startStageProcess('sandbox', {
    GAVEL_REDIS_URL: redis.url,
    GAVEL_LOG_LEVEL: 'info',
    GAVEL_PROM_SD_DIR: prom.sdDir,
  });
  started.push(p);
  return p;
}

const fileOf = (pid: number | undefined) => `gavel-worker-sandbox@${hostname()}@${pid}.json`;

describe('file_sd registration: one file per process in GAVEL_PROM_SD_DIR', () => {
  it("a SIGKILLed process's leftovers block no later start, and Prometheus scrapes only the live one", async () => {
    const killed = start();
    await until('the first worker registered', async () =>
      (await readdir(prom.sdDir)).includes(fileOf(killed.child.pid)),
    );
    killed.child.kill('SIGKILL');
    await killed.exited;
    // What a process killed while registering leaves too: its unfinished temp file.
    const unfinished = `.${fileOf(killed.child.pid)}.0b8e6a2c-1d3f-4c55-9a7e-2f1e0c9d8b7a.tmp`;
    await writeFile(join(prom.sdDir, unfinished), '[{"targets": [');
    expect((await readdir(prom.sdDir)).sort()).toEqual([unfinished, fileOf(killed.child.pid)].sort());

    const next = start();
    await until('the second worker started', async () => `${next.stdout()}${next.stderr()}`.includes('worker started'));
    // The dead process's files are gone, the live one's is there.
    expect(await readdir(prom.sdDir)).toEqual([fileOf(next.child.pid)]);
    const [group] = await prom.registered();
    expect(group?.labels).toEqual({ job: 'gavel-worker-sandbox' });
    await until('Prometheus scrapes the live worker', async () => {
      const up = await prom.query('up{job="gavel-worker-sandbox"}');
      return up.length === 1 && up[0]?.value[1] === '1' && up[0]?.metric.instance === group?.targets[0];
    });

    // A clean stop removes its file.
    await next.stop('SIGTERM');
    expect(await readdir(prom.sdDir)).toEqual([]);
  });
});
