/**
 * `POST /v1/runs` of a 10k-sample NDJSON body (tens of MB) beside `gavel enqueue` of the same file on
 * the same redis-server, then the run graded by real workers and its verdicts streamed from
 * `GET /v1/runs/{id}/verdicts`, with the API process's RSS before, during and after (sampled from
 * /proc every 50 ms; the stream on a freshly started server). Prints one JSON line per figure.
 *
 *   node --conditions=@gavel/source --import tsx test/bench/api-10k.ts [--samples 10000] [--prompt-bytes 2500] [--stream-heap-mib 64]
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startApi } from '../support/api-server.ts';
import { COMPILED_GAVEL_CLI, gavel, jsonl, startWorkers, textSample } from '../support/gavel.ts';
import { startRedis } from '../support/redis.ts';

const { values } = parseArgs({
  options: {
    samples: { type: 'string', default: '10000' },
    'prompt-bytes': { type: 'string', default: '2500' },
    // caps the V8 heap of the server that streams: a stream that held the run would die of it
    'stream-heap-mib': { type: 'string' },
  },
});
const N = Number(values.samples);
const PAD = 'lorem ipsum dolor sit amet '.repeat(Math.ceil(Number(values['prompt-bytes']) / 27));

function emit(figure: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(figure)}\n`);
}

/** Resident and peak resident set of a process, MiB (Linux /proc). */
function rss(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
  return { rss: Math.round(kib('VmRSS') / 1024), hwm: Math.round(kib('VmHWM') / 1024) };
}

/** Samples a process's RSS every 50 ms while `work` runs; returns the work's result and the largest RSS seen. */
async function whileSampling<T>(pid: number, work: () => Promise<T>): Promise<{ result: T; maxRss: number }> {
  let maxRss = rss(pid).rss;
  const timer = setInterval(() => {
    maxRss = Math.max(maxRss, rss(pid).rss);
  }, 50);
  try {
    const result = await work();
    return { result, maxRss: Math.max(maxRss, rss(pid).rss) };
  } finally {
    clearInterval(timer);
  }
}

/** The API process's pid, from its `api listening` log line (the log may trail the address line). */
async function apiPid(): Promise<number> {
  for (;;) {
    const pid = /"pid":(\d+)[^\n]*"api listening"/.exec(api.output())?.[1];
    if (pid) return Number(pid);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const redis = await startRedis();
const dir = await mkdtemp(join(tmpdir(), 'gavel-bench-api-'));
const env = { GAVEL_REDIS_URL: redis.url, GAVEL_LOG_LEVEL: 'info', GAVEL_SANDBOX: 'none', GAVEL_JUDGE: 'facts' };
let api = await startApi(env);
try {
  let pid = await apiPid();
  const file = join(dir, 'text.jsonl');
  await writeFile(file, jsonl(Array.from({ length: N }, (_, i) => textSample(i, { prompt: `Q${i}: ${PAD}` }))));
  const body = await readFile(file);
  const idle = rss(pid);

  let started = performance.now();
  const enq = await gavel(['enqueue', file, '--run', 'bench-cli'], env, 600_000, COMPILED_GAVEL_CLI);
  if (enq.code !== 0) throw new Error(enq.stderr);
  const cliS = (performance.now() - started) / 1000;

  started = performance.now();
  const posted = await whileSampling(pid, async () => {
    const response = await fetch(`${api.url}/v1/runs?run_id=bench-api`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body,
    });
    if (response.status !== 201) throw new Error(`POST answered ${response.status}: ${await response.text()}`);
    return response.json();
  });
  const apiS = (performance.now() - started) / 1000;
  const afterPost = rss(pid);
  emit({
    figure: 'api_post_seconds',
    samples: N,
    body_mib: Number((body.byteLength / 2 ** 20).toFixed(1)),
    value: Number(apiS.toFixed(2)),
    baseline_cli_enqueue_seconds: Number(cliS.toFixed(2)),
  });
  emit({
    figure: 'api_post_server_rss_mib',
    samples: N,
    idle: idle.rss,
    max_during: posted.maxRss,
    peak_hwm: afterPost.hwm,
    after: afterPost.rss,
  });

  const workers = startWorkers(env, [], COMPILED_GAVEL_CLI);
  try {
    const waited = await gavel(['wait', 'bench-api', '--timeout', '900'], env, 920_000, COMPILED_GAVEL_CLI);
    if (waited.code !== 0) throw new Error(waited.stderr + workers.output());
  } finally {
    await workers.stop();
  }
  // a fresh server for the stream, so the POST's retained heap cannot hide what streaming costs
  await api.stop();
  const heap = values['stream-heap-mib'];
  api = await startApi(heap ? { ...env, NODE_OPTIONS: `--max-old-space-size=${heap}` } : env);
  pid = await apiPid();
  const beforeStream = rss(pid);
  started = performance.now();
  const streamed = await whileSampling(pid, async () => {
    const response = await fetch(`${api.url}/v1/runs/bench-api/verdicts`);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    let bytes = 0;
    let lines = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      bytes += value.byteLength;
      for (const b of value) if (b === 10) lines += 1;
    }
    return { bytes, lines };
  });
  const streamS = (performance.now() - started) / 1000;
  const exportStarted = performance.now();
  const exported = await gavel(
    ['export', 'bench-api', '--out', join(dir, 'export.jsonl')],
    env,
    600_000,
    COMPILED_GAVEL_CLI,
  );
  if (exported.code !== 0) throw new Error(exported.stderr);
  const exportS = (performance.now() - exportStarted) / 1000;
  emit({
    figure: 'api_verdict_stream_seconds',
    samples: N,
    lines: streamed.result.lines,
    stream_mib: Number((streamed.result.bytes / 2 ** 20).toFixed(1)),
    value: Number(streamS.toFixed(2)),
    baseline_cli_export_seconds: Number(exportS.toFixed(2)),
  });
  emit({
    figure: 'api_verdict_stream_server_rss_mib',
    samples: N,
    before: beforeStream.rss,
    max_during: streamed.maxRss,
    peak_hwm: rss(pid).hwm,
    server_heap_cap_mib: heap ? Number(heap) : null,
  });
  if (JSON.stringify(posted.result).length === 0) throw new Error('no answer');
} finally {
  await api.stop();
  await redis.stop();
  await rm(dir, { recursive: true, force: true });
}
