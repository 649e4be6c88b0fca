/**
 * `npm run demo:pairwise`: the comparison track end to end on this machine, no GPU — a real Redis
 * (started here on a free loopback port), the fake vLLM judge of test/fakes serving a "vision"
 * model whose answers come from demo-judge-policy.ts, and the real `gavel enqueue`, `workers`,
 * `wait`, `export`, `review` and `report` processes. Writes the dataset (make-dataset.ts), the export
 * and the review matrix (`review.html`, the charts embedded from the image store) under
 * `GAVEL_DATA_DIR/demo-pairwise/` (default `.gavel`) and prints the pairwise report.
 */
import { mkdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { startFakeVllm } from '../fakes/vllm-server.ts';
import { gavel, ROOT, startWorkers } from '../support/gavel.ts';
import { startRedis } from '../support/redis.ts';
import { demoJudgePolicy } from './demo-judge-policy.ts';
import { makePairwiseDemo } from './make-dataset.ts';

const say = (line: string) => process.stderr.write(`demo:pairwise: ${line}\n`);

async function main(): Promise<number> {
  const outDir = resolve(ROOT, process.env.GAVEL_DATA_DIR ?? '.gavel', 'demo-pairwise');
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  const dataset = await makePairwiseDemo(outDir);
  say(`wrote 6 text, 4 JSON and 4 chart-image pairs to ${dataset}`);
  const redis = await startRedis();
  const vllm = await startFakeVllm({
    model: 'demo-vision-judge',
    vision: true,
    imageLimit: 4,
    policy: demoJudgePolicy(),
  });
  say(`Redis at ${redis.url}; fake vLLM vision judge at ${vllm.url}`);
  const env = {
    GAVEL_REDIS_URL: redis.url,
    GAVEL_DATA_DIR: join(outDir, 'data'),
    GAVEL_LOG_LEVEL: 'warn',
    GAVEL_JUDGE: 'vllm',
    GAVEL_JUDGE_URL: vllm.url,
    GAVEL_JUDGE_MODEL: 'demo-vision-judge',
    GAVEL_JUDGE_FAMILY: 'judgefam',
    GAVEL_JUDGE_VISION: '1',
  };
  const run = 'demo-pairwise';
  const workers = startWorkers(env);
  try {
    const steps: [string, string[]][] = [
      ['enqueue', ['enqueue', dataset, '--run', run]],
      ['wait', ['wait', run, '--timeout', '120']],
      ['export', ['export', run, '--out', join(outDir, `${run}.jsonl`)]],
      ['review', ['review', run, '--out', join(outDir, 'review.html')]],
    ];
    for (const [name, args] of steps) {
      const result = await gavel(args, env, 200_000);
      if (result.code !== 0) {
        say(`gavel ${name} failed (exit ${result.code}): ${result.stderr}${result.stdout}\n${workers.output()}`);
        return 1;
      }
    }
    const report = await gavel(['report', run], env);
    process.stdout.write(report.stdout);
    say(
      `${vllm.counts.completions} chat completions at the judge (two orders per pair, and the judge worker's start-up image probe); export at ${join(outDir, `${run}.jsonl`)}, review matrix (charts embedded) at ${join(outDir, 'review.html')}`,
    );
    return report.code;
  } finally {
    await workers.stop();
    await vllm.stop();
    await redis.stop();
  }
}

process.exitCode = await main();
