/**
 * How many jobs a stage worker runs at once: `GAVEL_CONCURRENCY` when set, else the stage's own choice,
 * else the default — but never fewer than the stage's floor, the jobs it needs at once to keep its own
 * bound busy (the LLM judge's `GAVEL_JUDGE_INFLIGHT` request slots: a `gavel workers --concurrency 50`
 * meant for the sandbox would otherwise hold 64 slots to 50 requests). `raised` says the floor won.
 */
export function stageConcurrency(input: {
  configured: number | undefined;
  stage: number | undefined;
  floor: number | undefined;
  fallback: number;
}): { concurrency: number; raised: boolean } {
  const chosen = input.configured ?? input.stage ?? input.fallback;
  const floor = input.floor ?? 0;
  return chosen >= floor ? { concurrency: chosen, raised: false } : { concurrency: floor, raised: true };
}
