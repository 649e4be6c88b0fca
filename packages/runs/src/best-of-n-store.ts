import type { RunStore } from '@gavel/queue';
import { BestOfNRunInfo, BestOfNTaskChoice } from '@gavel/report';

const CHOICES = 'best-of-n';
const INFO = 'best-of-n:info';

/**
 * Records a run's best-of-n choices with the run (a hash of task id → choice, and how it was made),
 * replacing any earlier ones in one MULTI (both keys are the run's): `gavel report`, `gavel export`
 * and `gavel review` read them from there. Removed with the run.
 */
export async function saveBestOfN(
  store: RunStore,
  runId: string,
  info: BestOfNRunInfo,
  choices: readonly BestOfNTaskChoice[],
): Promise<void> {
  const key = store.key(runId, CHOICES);
  const tx = store.redis.multi().del(key).set(store.key(runId, INFO), JSON.stringify(info));
  if (choices.length > 0) tx.hset(key, ...choices.flatMap((c) => [c.task_id, JSON.stringify(c)]));
  await tx.exec();
}

/** A run's best-of-n choices by task id (in the run's order), and how they were made; undefined when `gavel best-of-n` never ran on it. */
export async function loadBestOfN(
  store: RunStore,
  runId: string,
): Promise<{ info: BestOfNRunInfo; choices: Map<string, BestOfNTaskChoice> } | undefined> {
  const rawInfo = await store.redis.get(store.key(runId, INFO));
  if (rawInfo === null) return undefined;
  const info = BestOfNRunInfo.parse(JSON.parse(rawInfo));
  const stored = await store.redis.hgetall(store.key(runId, CHOICES));
  const choices = new Map<string, BestOfNTaskChoice>();
  for (const task of info.tasks) {
    const raw = stored[task];
    if (raw !== undefined) choices.set(task, BestOfNTaskChoice.parse(JSON.parse(raw)));
  }
  return { info, choices };
}
