/**
 * Preloaded into a process (NODE_OPTIONS=--import <this file>) by test/bench/pipeline-profile.ts:
 * the first SIGUSR2 starts V8's sampling profiler, the second stops it and writes the profile to
 * `$GAVEL_BENCH_PROFILE_DIR/<pid>.cpuprofile`, then `<pid>.done` beside it (the profile is whole). A
 * process never signalled profiles nothing. SIGUSR1 is left alone (it opens Node's inspector).
 */
import { renameSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';

const dir = process.env.GAVEL_BENCH_PROFILE_DIR;
if (dir) {
  const session = new Session();
  session.connect();
  let running = false;
  process.on('SIGUSR2', () => {
    if (!running) {
      running = true;
      session.post('Profiler.enable', () => session.post('Profiler.start'));
      return;
    }
    running = false;
    session.post('Profiler.stop', (error, result) => {
      const file = join(dir, `${process.pid}.cpuprofile`);
      writeFileSync(`${file}.partial`, error ? '' : JSON.stringify(result.profile));
      renameSync(`${file}.partial`, file);
      writeFileSync(join(dir, `${process.pid}.done`), error ? String(error) : '');
    });
  });
}
