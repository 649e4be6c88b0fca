/**
 * `gavel verify` on a finished 10k-sample facts-only run (real pipeline, separate worker
 * processes), beside `gavel export` of the same run on the same redis-server (the same paging
 * through the run store, without the re-derivation). Prints one JSON line per figure.
 *
 *   node --conditions=@gavel/source --import tsx test/bench/verify-10k.ts [--samples 10000]
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { COMPILED_GAVEL_CLI, gavel, jsonl, startWorkers, textSample } from '../support/gavel.ts';
import { startRedis } from '../support/redis.ts';

const { values } = parseArgs({ options: { samples: { type: 'string', default: '10000' } } });
const N = Number(values.samples);

function emit(figure: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(figure)}\n`);
}

async function timed(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const started = performance.now();
  const result = await gavel(args, env, 600_000, COMPILED_GAVEL_CLI);
  if (result.code !== 0) throw new Error(`gavel ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
  return (performance.now() - started) / 1000;
}

const redis = await startRedis();
const dir = await mkdtemp(join(tmpdir(), 'gavel-bench-verify-'));
try {
  const env = { GAVEL_REDIS_URL: redis.url, GAVEL_LOG_LEVEL: 'warn', GAVEL_SANDBOX: 'none', GAVEL_JUDGE: 'facts' };
  const file = join(dir, 'text.jsonl');
  await writeFile(file, jsonl(Array.from({ length: N }, (_, i) => textSample(i))));
  const enq = await gavel(['enqueue', file, '--run', 'bench-verify'], env, 600_000, COMPILED_GAVEL_CLI);
  if (enq.code !== 0) throw new Error(enq.stderr);
  const workers = startWorkers(env, [], COMPILED_GAVEL_CLI);
  try {
    const waited = await gavel(['wait', 'bench-verify', '--timeout', '600'], env, 620_000, COMPILED_GAVEL_CLI);
    if (waited.code !== 0) throw new Error(waited.stderr + workers.output());
  } finally {
    await workers.stop();
  }
  const exportS = await timed(['export', 'bench-verify', '--out', join(dir, 'out.jsonl')], env);
  const verifyS = await timed(['verify', 'bench-verify', '--dataset', file], env);
  emit({
    figure: 'verify_seconds',
    samples: N,
    value: Number(verifyS.toFixed(2)),
    baseline_export_seconds: Number(exportS.toFixed(2)),
  });
  emit({
    figure: 'verify_samples_per_second',
    samples: N,
    value: Math.round(N / verifyS),
    baseline_export: Math.round(N / exportS),
  });
} finally {
  await redis.stop();
  await rm(dir, { recursive: true, force: true });
}
