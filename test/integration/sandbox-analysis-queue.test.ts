import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { type Logger, silentLogger, TransientError } from '@gavel/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Analysis, AnalysisContainer } from '../../packages/sandbox/src/analysis-container.ts';
import { dockerClient } from '../../packages/sandbox/src/docker-client.ts';
import { InstanceLease } from '../../packages/sandbox/src/instance-lease.ts';
import { PYRIGHT_NO_REPORT, pyrightFacts } from '../../packages/sandbox/src/static-facts.ts';
import { gavelContainers, sandboxConfig } from './sandbox-fixtures.ts';

// The analysis deadline measures the batch the analysis server is running, not the time a request
// waits queued behind other batches. Before, it counted from the request's write: under load (many
// samples at once) queued requests passed it, the analysis container was restarted over and over,
// and samples failed as transient_exhausted although every batch finished in time.
//
// Real analysis container, real pyright. A 2 MiB scratch makes every pyright batch at most 1 MiB, so
// each request of 1.2 MB is a batch of its own and the requests run one after another. The deadline
// is 2.5 times one such batch measured here first, so the sixth request waits about six batches.

const docker = dockerClient(null);
const config = sandboxConfig();
const owner = { instance: randomUUID(), pid: process.pid, host: hostname() };
// A live lease for the owner: without one, any sandbox starting on the engine meanwhile (another test
// file) sweeps these analysis containers as orphans.
const lease = new InstanceLease(docker, { image: config.image as string, owner, ttlS: 60, logger: silentLogger });
beforeAll(() => lease.start());
afterAll(() => lease.stop());
const caps = { maxFileBytes: 1024 * 1024, maxRequestBytes: 8 * 1024 * 1024, maxRequestFiles: 500 };
/** Two files of 600,000 bytes of comments each (cheap to check, 1.2 MB to write). */
const big = (i: number) => {
  const padding = `${'#'.repeat(599)}\n`.repeat(1000);
  return { [`pad_${i}_a.py`]: padding, [`pad_${i}_b.py`]: padding, 'solution.py': `x${i} = ${i}\n` };
};
const warnings: string[] = [];
const logger: Logger = { ...silentLogger, warn: (_obj, msg) => warnings.push(msg ?? '') };
let containers: AnalysisContainer[] = [];

function analysisContainer(requestTimeoutMs: number, env: string[] = [], tmpfsMib = 2): AnalysisContainer {
  const c = new AnalysisContainer(docker, {
    env,
    image: config.image as string,
    limits: { cpus: 1, memory_mib: config.analysisMemoryMib, pids: 256, tmpfs_mib: tmpfsMib },
    requestTimeoutMs,
    caps,
    owner,
    logger,
  });
  containers.push(c);
  return c;
}

afterEach(async () => {
  await Promise.all(containers.map((c) => c.stop()));
  containers = [];
});

describe('the analysis deadline', () => {
  it('counts the running batch only: six one-request batches in a row, each within it, all answered with no restart', async () => {
    const probe = analysisContainer(600_000);
    await probe.analyse({ 'solution.py': 'x = 1\n' }, AbortSignal.timeout(120_000));
    const t = performance.now();
    const alone = await probe.analyse(big(0), AbortSignal.timeout(120_000));
    const batchMs = performance.now() - t;
    expect(alone.pyright.report?.summary.errorCount).toBe(0);
    await probe.stop();

    const deadlineMs = Math.max(3000, Math.round(2.5 * batchMs));
    const server = analysisContainer(deadlineMs);
    await server.analyse({ 'solution.py': 'x = 1\n' }, AbortSignal.timeout(120_000));
    warnings.length = 0;
    const results = await Promise.allSettled(
      Array.from({ length: 6 }, (_, i) => server.analyse(big(i + 1), AbortSignal.timeout(600_000))),
    );
    const reasons = results.filter((r) => r.status === 'rejected').map((r) => String(r.reason));
    expect(reasons, `deadline ${deadlineMs} ms, one batch ${Math.round(batchMs)} ms`).toEqual([]);
    const answers = results.map((r) => (r as PromiseFulfilledResult<Analysis>).value);
    // One request per batch, each with its own file's pyright and ruff results.
    expect(answers.map((a) => a.pyright.report?.summary.errorCount)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(answers.map((a) => a.pyright.batch_size)).toEqual([1, 1, 1, 1, 1, 1]);
    // The last one really waited past the deadline in the queue (visible in its analysis), and the
    // container was never restarted.
    expect(answers[5]?.queued_ms).toBeGreaterThan(deadlineMs);
    expect(warnings.filter((w) => /restarting|ended/.test(w))).toEqual([]);
    expect(warnings).toContain(
      'analysis request queued longer than the analysis deadline: the analysis container is the bottleneck',
    );
  });

  it('still restarts a container whose running batch outlasts it, failing its requests as transient', async () => {
    // A 1 ms deadline: reached while the batch runs.
    const server = analysisContainer(1);
    await expect(server.analyse(big(9), AbortSignal.timeout(120_000))).rejects.toThrow(
      /analysis batch did not answer in 1 ms; restarting the analysis container/,
    );
    await server.stop();
    // The restarted-away container is removed in the background.
    const analysisLeft = () => gavelContainers().filter((n) => n.startsWith('gavel-analysis'));
    for (let i = 0; i < 100 && analysisLeft().length > 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(analysisLeft()).toEqual([]);
  });

  it('a pyright run that times out on a batch of several samples fails them as transient, on a sample alone it is an error of the harness: no report is never a clean one', async () => {
    // pyright killed 1 ms after it starts (a killed run still takes the server hundreds of ms to reap).
    // Three requests sent at once to an idle server: the first is a batch alone, the two after it
    // normally arrive while it runs and make the next batch together. Which batch each request was in is
    // the server's doing, so every answer is checked against its own batch, and the scenario is run
    // again (at most three times) until a batch of two has happened.
    const server = analysisContainer(600_000, ['GAVEL_PYRIGHT_TIMEOUT_MS=1'], 256);
    await server.analyse({ 'solution.py': 'x = 1\n' }, AbortSignal.timeout(120_000));
    let batchedTogether = 0;
    for (let attempt = 0; attempt < 3 && batchedTogether === 0; attempt++) {
      const results = await Promise.allSettled([
        ...[1, 2, 3].map((i) => server.analyse({ 'solution.py': `x = ${i}\n` }, AbortSignal.timeout(120_000))),
      ]);
      for (const r of results) {
        if (r.status === 'fulfilled') {
          // Alone in its batch: the timeout is its own, recorded as such (no report, timed_out).
          const { timed_out, report, batch_size } = r.value.pyright;
          expect({ timed_out, report, batch_size }).toEqual({ timed_out: true, report: null, batch_size: 1 });
          // ... and its facts say pyright never answered: one error of the harness, so never "clean".
          const facts = pyrightFacts(r.value.pyright);
          expect({ errors: facts.errors, code: facts.diagnostics[0]?.code }).toEqual({
            errors: 1,
            code: PYRIGHT_NO_REPORT,
          });
        } else {
          expect(r.reason).toBeInstanceOf(TransientError);
          expect(String(r.reason)).toMatch(/pyright timed out on a batch of [2-9]\d* samples; not graded/);
          batchedTogether += 1;
        }
      }
    }
    expect(batchedTogether).toBeGreaterThanOrEqual(2);
  });
});
