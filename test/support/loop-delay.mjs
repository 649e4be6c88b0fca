/**
 * Preloaded (`node --import`) into a benchmarked process: measures its event-loop delay with
 * `perf_hooks.monitorEventLoopDelay` and, as the process exits, writes the histogram's figures (ms)
 * as one JSON line to the file named by BENCH_LOOP_DELAY_OUT. Plain JavaScript: compiled workers
 * run on plain Node.
 */
import { writeFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';

const out = process.env.BENCH_LOOP_DELAY_OUT;
if (out) {
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  // Figures from the moment the benchmark says its phase starts (SIGUSR2), not from start-up.
  process.on('SIGUSR2', () => histogram.reset());
  process.on('exit', () => {
    histogram.disable();
    const ms = (ns) => Math.round(ns / 1e4) / 100;
    writeFileSync(
      out,
      `${JSON.stringify({
        mean_ms: ms(histogram.mean),
        p50_ms: ms(histogram.percentile(50)),
        p99_ms: ms(histogram.percentile(99)),
        max_ms: ms(histogram.max),
      })}\n`,
    );
  });
}
