import { QUEUE_NAMES, STAGES } from '@gavel/core';
import { isCluster, migrateStoreLayout } from '@gavel/queue';
import { Queue } from 'bullmq';
import { CliError } from '../cli-error.ts';
import { openContext } from '../context.ts';
import { restoreLostJobs } from '../reconcile/run-jobs.ts';

/** Connection names of the CLI itself (any number may be connected while a migration runs). */
const CLI_NAMES = new Set(['gavel-cli', 'gavel-doctor']);

/** Names of connected gavel processes other than CLI commands (from CLIENT LIST). */
function gavelProcesses(clientList: string): string[] {
  const names = clientList
    .split('\n')
    .map((line) => /(?:^| )name=(\S*)/.exec(line)?.[1] ?? '')
    .filter((name) => name.startsWith('gavel-') && !CLI_NAMES.has(name));
  return [...new Set(names)].sort();
}

/**
 * `gavel migrate [--from-queue-prefix P] [--json]`: moves a single Redis from the key layout before
 * per-run hash tags to the current one, with every gavel process stopped. The run store's keys are
 * renamed in place (see `migrateStoreLayout`); the jobs of the old queues (`{gavel}:<stage>:…`) are
 * not moved key by key: each unfinished sample gets its next job in the new queues from the run
 * store (as `gavel reconcile` does), then the old queues are obliterated. Run it again after a crash:
 * each step is idempotent.
 */
export async function migrateCommand(options: { fromQueuePrefix: string; json: boolean }): Promise<void> {
  const context = openContext();
  try {
    if (isCluster(context.redis)) {
      throw new CliError(
        'gavel migrate: runs against one Redis (GAVEL_REDIS_URL); the old key layout never ran on a Redis Cluster, so a cluster has nothing to migrate',
        1,
      );
    }
    const redis = context.redis;
    const connected = gavelProcesses(String(await redis.client('LIST')));
    if (connected.length > 0) {
      throw new CliError(
        `gavel migrate: gavel processes are still connected to Redis (${connected.join(', ')}); stop every worker, board, API and gpu-agent, then run gavel migrate again`,
        1,
      );
    }
    const oldQueues = STAGES.map(
      (stage) => new Queue(QUEUE_NAMES[stage], { connection: redis, prefix: options.fromQueuePrefix }),
    );
    try {
      const active = (await Promise.all(oldQueues.map((q) => q.getActiveCount()))).reduce((a, b) => a + b, 0);
      if (active > 0) {
        throw new CliError(
          `gavel migrate: ${active} job(s) are active in the old queues (${options.fromQueuePrefix}:…): a worker is still running them; stop it, wait ${Math.ceil(context.config.GAVEL_LOCK_DURATION_MS / 1000)} s for its locks to lapse, and run gavel migrate again`,
          1,
        );
      }
      const moved = await migrateStoreLayout(redis, context.store.prefix);
      if (moved.left.length > 0) {
        throw new CliError(
          `gavel migrate: ${moved.left.length} old key(s) could not move (the new key exists, or the batch's run is unknown), e.g. ${moved.left.slice(0, 3).join(', ')}; nothing else is lost: inspect them, delete what is stale, and run gavel migrate again`,
          1,
        );
      }
      let requeued = 0;
      const stuck: { run_id: string; sample_id: string; reason: string }[] = [];
      for (const runId of await context.store.listRuns()) {
        const manifest = await context.store.findManifest(runId);
        if (!manifest) continue;
        const result = await restoreLostJobs(context.store, context.queues, manifest, false);
        requeued += Object.values(result.restored).reduce((a, b) => a + b, 0);
        for (const s of result.stuck) stuck.push({ run_id: runId, ...s });
      }
      for (const queue of oldQueues) await queue.obliterate({ force: true });
      const summary = { ...moved, requeued, stuck, old_queues_removed: options.fromQueuePrefix };
      if (options.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
      else {
        process.stderr.write(
          `migrated ${moved.runs.length} run(s): ${moved.keys_moved} run key(s) and ${moved.batch_keys_moved} batch key(s) moved, ${moved.keys_dropped} dropped; ${requeued} unfinished sample(s) re-queued; old queues under ${options.fromQueuePrefix} removed\n`,
        );
        for (const s of stuck) process.stderr.write(`  ${s.run_id} ${s.sample_id}: ${s.reason}\n`);
      }
      if (stuck.length > 0) process.exitCode = 1;
    } finally {
      await Promise.allSettled(oldQueues.map((q) => q.close()));
    }
  } finally {
    await context.close();
  }
}
