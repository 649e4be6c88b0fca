import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './redis.ts';

export interface PrometheusServer {
  url: string;
  /** The file_sd directory (GAVEL_PROM_SD_DIR): Prometheus reads every `*.json` in it. */
  sdDir: string;
  /** Every target group registered in the directory now. */
  registered(): Promise<{ targets: string[]; labels: Record<string, string> }[]>;
  /** Instant query through the HTTP API; returns the result vector. */
  query(expr: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]>;
  stop(): Promise<void>;
}

/** Debian's /usr/bin/prometheus on a free loopback port, scraping every second what the file_sd directory lists. */
export async function startPrometheus(): Promise<PrometheusServer> {
  const dir = await mkdtemp(join(tmpdir(), 'gavel-prom-'));
  const sdDir = join(dir, 'sd');
  await mkdir(sdDir);
  const config = join(dir, 'prometheus.yml');
  await writeFile(
    config,
    `global: { scrape_interval: 1s, evaluation_interval: 1s }\nscrape_configs:\n  - job_name: gavel\n    file_sd_configs: [{ files: ['${sdDir}/*.json'], refresh_interval: 1s }]\n`,
  );
  const port = await freePort();
  const child: ChildProcess = spawn(
    '/usr/bin/prometheus',
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  child.stderr?.on('data', (c: Buffer) => {
    log += c.toString();
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${url}/-/ready`)).ok) break;
    } catch {
      // not listening yet
    }
    if (child.exitCode !== null || i > 300) throw new Error(`prometheus did not start: ${log}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    sdDir,
    async registered() {
      const files = (await readdir(sdDir)).filter((f) => f.endsWith('.json'));
      const groups = await Promise.all(files.map(async (f) => JSON.parse(await readFile(join(sdDir, f), 'utf8'))));
      return groups.flat();
    },
    async query(expr) {
      const res = await fetch(`${url}/api/v1/query?${new URLSearchParams({ query: expr })}`);
      const body = (await res.json()) as { status: string; error?: string; data: { result: [] } };
      if (body.status !== 'success') throw new Error(`${expr}: ${body.error}`);
      return body.data.result;
    },
    async stop() {
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
}
