import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createMetrics } from './metrics.ts';
import { startMetricsServer } from './metrics-server.ts';
import { metricsStageHooks } from './stage-hooks.ts';

let dir = '';
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('startMetricsServer', () => {
  it('serves the catalog on loopback and registers itself in the file_sd directory until closed', async () => {
    dir = await mkdtemp(join(tmpdir(), 'gavel-sd-'));
    const sdDir = join(dir, 'sd');
    const listed = async () =>
      (
        await Promise.all((await readdir(sdDir)).map(async (f) => JSON.parse(await readFile(join(sdDir, f), 'utf8'))))
      ).flat();
    const metrics = createMetrics();
    const hooks = metricsStageHooks(metrics);
    hooks.onCompleted('judge', 0.2);
    hooks.onFailed('sandbox', 'input');
    hooks.onRetried('judge');
    const a = await startMetricsServer({ registry: metrics.registry, sdDir, job: 'gavel-judge' });
    const b = await startMetricsServer({ registry: metrics.registry, sdDir, job: 'gavel-sandbox' });
    const body = await (await fetch(a.url)).text();
    expect(body).toContain('gavel_stage_jobs_completed_total{stage="judge"} 1');
    expect(body).toContain('gavel_stage_jobs_failed_total{stage="sandbox",code="input"} 1');
    expect(body).toContain('gavel_stage_job_duration_seconds_count{stage="judge"} 1');
    const both = await listed();
    expect(both.map((t: { targets: string[] }) => t.targets[0]).sort()).toEqual(
      [`127.0.0.1:${a.port}`, `127.0.0.1:${b.port}`].sort(),
    );
    await a.close();
    const left = await listed();
    expect(left).toEqual([{ targets: [`127.0.0.1:${b.port}`], labels: { job: 'gavel-sandbox' } }]);
    await b.close();
    expect(await readdir(sdDir)).toEqual([]);
  });
});
