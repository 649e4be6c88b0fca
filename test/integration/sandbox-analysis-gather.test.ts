import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { silentLogger } from '@gavel/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Analysis, AnalysisContainer } from '../../packages/sandbox/src/analysis-container.ts';
import { dockerClient } from '../../packages/sandbox/src/docker-client.ts';
import { InstanceLease } from '../../packages/sandbox/src/instance-lease.ts';
import { sandboxConfig } from './sandbox-fixtures.ts';

// The analysis server gathers pyright batches: a pyright run costs about a second of start-up however
// few files it checks, so a request whose answer is not needed yet (its `within_ms` hint: its sample
// still waits for an execution slot) is held for later requests to join its run. Before, each batch
// held only what arrived while the previous one ran, and a request that reached an idle server ran
// alone at once. Real analysis container, real pyright.

const docker = dockerClient(null);
const config = sandboxConfig();
const owner = { instance: randomUUID(), pid: process.pid, host: hostname() };
const caps = { maxFileBytes: 1024 * 1024, maxRequestBytes: 8 * 1024 * 1024, maxRequestFiles: 500 };
let containers: AnalysisContainer[] = [];
// A live lease for the owner: without one, any sandbox starting on the engine meanwhile (other tests,
// other sessions) sweeps the held server's container as an orphan.
const lease = new InstanceLease(docker, { image: config.image as string, owner, ttlS: 60, logger: silentLogger });
beforeAll(() => lease.start());
afterAll(() => lease.stop());

function analysisContainer(env: string[] = []): AnalysisContainer {
  const c = new AnalysisContainer(docker, {
    env,
    image: config.image as string,
    limits: { cpus: 1, memory_mib: config.analysisMemoryMib, pids: 256, tmpfs_mib: 256 },
    requestTimeoutMs: 600_000,
    caps,
    owner,
    logger: silentLogger,
  });
  containers.push(c);
  return c;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const signal = () => AbortSignal.timeout(120_000);
/** Sample i's file: the odd ones return a str where an int is declared (one pyright error each). */
const source = (i: number) => ({
  'solution.py': i % 2 === 1 ? `def f${i}() -> int:\n    return "${i}"\n` : `def f${i}() -> int:\n    return ${i}\n`,
});

afterEach(async () => {
  await Promise.all(containers.map((c) => c.stop()));
  containers = [];
});

describe('pyright batches gathered for answers not yet needed', () => {
  it('holds requests that arrive apart into one pyright run, each answered with its own diagnostics', async () => {
    const server = analysisContainer();
    await server.analyse(source(0), signal());
    // Five requests 400 ms apart, each needed within 20 s: without gathering the first would run alone.
    const answers: Array<Promise<Analysis>> = [];
    for (let i = 1; i <= 5; i++) {
      answers.push(server.analyse(source(i), signal(), 20_000));
      await sleep(400);
    }
    const done = await Promise.all(answers);
    expect(done.map((a) => a.pyright.batch_size)).toEqual([5, 5, 5, 5, 5]);
    expect(done.map((a) => a.pyright.report?.summary.errorCount)).toEqual([1, 0, 1, 0, 1]);
    for (const [k, a] of done.entries()) {
      for (const d of a.pyright.report?.generalDiagnostics ?? []) expect(d.file).toBe('solution.py');
      if (k % 2 === 0) expect(a.pyright.report?.generalDiagnostics[0]?.message).toContain(`"Literal['${k + 1}']"`);
    }
  }, 60_000);

  it('never delays a request without a hint: it runs at once and takes the held ones with it', async () => {
    // Held up to 10 minutes: were the unhinted request held too, this test would time out.
    const server = analysisContainer(['GAVEL_ANALYSIS_MAX_HOLD_MS=600000']);
    await server.analyse(source(0), signal());
    const held = [1, 2].map((i) => server.analyse(source(i), AbortSignal.timeout(600_000), 600_000));
    await sleep(300);
    const now = await server.analyse(source(3), signal());
    const [a, b] = await Promise.all(held);
    expect([a?.pyright.batch_size, b?.pyright.batch_size, now.pyright.batch_size]).toEqual([3, 3, 3]);
    expect([a, b, now].map((x) => x?.pyright.report?.summary.errorCount)).toEqual([1, 0, 1]);
  }, 60_000);
});
