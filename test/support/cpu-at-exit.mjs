// `node --import <this file> …`: when the process exits, appends `<pid> <user+system CPU seconds>` (the
// whole process, every thread) to the file named by GAVEL_BENCH_CPU_LOG. test/bench/startup-rss.ts reads
// it: a start-up's CPU time moves less with the machine's load than its wall time.
import { appendFileSync } from 'node:fs';

const log = process.env.GAVEL_BENCH_CPU_LOG;
if (log) {
  process.on('exit', () => {
    const { user, system } = process.cpuUsage();
    appendFileSync(log, `${process.pid} ${(user + system) / 1e6}\n`);
  });
}
