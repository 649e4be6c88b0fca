import {
  finish,
  type HandoverDeps,
  type HandoverResult,
  step,
  type TimelineEntry,
  waitOllamaEmpty,
  waitVramFree,
} from './handover-steps.ts';
import { type LeaseGrant, LeaseLostError } from './lease.ts';
import type { VllmController } from './vllm-controller.ts';

/** The vLLM server of a vLLM owner: the judge's, or the SUT's. */
function serverOf(deps: HandoverDeps, owner: 'vllm' | 'sut'): VllmController {
  if (owner === 'vllm') return deps.vllm;
  if (!deps.sut) throw new Error('no SUT vLLM is configured on this agent (GAVEL_SUT_VLLM_COMMAND)');
  return deps.sut;
}

/**
 * Ollama → vLLM (`to`: the judge's, or the SUT's): take the card for it (new token; the Ollama gate refuses loads from here on),
 * unload every Ollama model, wait until `/api/ps` is empty and VRAM is below the threshold,
 * start vLLM, wait for `/health`, then open the card to judge jobs (phase `ready`). Any failure
 * stops vLLM and gives the card back to Ollama under a new token, so the card always ends with
 * a known owner.
 */
export async function handToVllm(
  deps: HandoverDeps,
  grant: LeaseGrant,
  signal: AbortSignal,
  to: 'vllm' | 'sut' = 'vllm',
): Promise<HandoverResult> {
  const log = deps.logger.child({ handover: `ollama→${to}` });
  const started = performance.now();
  const timeline: TimelineEntry[] = [];
  const t = deps.timeouts;
  const server = serverOf(deps, to);
  let current = grant;
  try {
    await step(timeline, log, `grant-${to}`, 10_000, signal, async () => {
      current = await deps.lease.transfer(current, to, 'handover');
      deps.onGrant?.(current);
      return { detail: `token ${current.token}` };
    });
    await step(timeline, log, 'unload-ollama', t.unloadMs, signal, async (s) => {
      await deps.lease.fence(current, 'unload Ollama models');
      const models = await deps.ollama.loaded(s);
      for (const model of models) await deps.ollama.unload(model.name, s);
      return { detail: models.length ? `asked to unload ${models.map((m) => m.name).join(', ')}` : 'none loaded' };
    });
    await step(timeline, log, 'wait-ollama-empty', t.unloadMs, signal, async (s, progress) => {
      await waitOllamaEmpty(deps, s, progress);
      return undefined;
    });
    await step(timeline, log, 'wait-vram-free', t.vramMs, signal, (s, progress) =>
      waitVramFree(deps, s, progress, false),
    );
    await step(timeline, log, 'start-vllm', 10_000, signal, async () => {
      await deps.lease.fence(current, `start the ${to === 'sut' ? 'SUT' : 'judge'} vLLM`);
      await server.start();
      return { detail: `pid ${server.pid()}` };
    });
    await step(timeline, log, 'wait-vllm-health', t.vllmStartMs, signal, async (s) => {
      await server.waitHealthy(s);
      return undefined;
    });
    await step(timeline, log, to === 'sut' ? 'open-generate' : 'open-judge', 10_000, signal, async () => {
      current = await deps.lease.setPhase(current, 'ready');
      deps.onGrant?.(current);
      return { detail: `token ${current.token}` };
    });
    return finish({ from: 'ollama', to, outcome: 'ok', grant: current, timeline }, started, log);
  } catch (error) {
    const message = (error as Error).message;
    await step(
      timeline,
      log,
      'rollback:stop-vllm',
      t.vllmStopMs + 5_000,
      AbortSignal.timeout(t.vllmStopMs + 10_000),
      async () => {
        const stopped = await server.stop(t.vllmStopMs);
        return stopped.signal === 'none'
          ? { skipped: true, detail: 'not running' }
          : { detail: `stopped with ${stopped.signal}` };
      },
    ).catch(() => {});
    if (error instanceof LeaseLostError) {
      return finish({ from: 'ollama', to, outcome: 'lost', grant: undefined, timeline, error: message }, started, log);
    }
    try {
      await step(timeline, log, 'rollback:grant-ollama', 10_000, AbortSignal.timeout(15_000), async () => {
        current = await deps.lease.transfer(current, 'ollama', 'ready');
        deps.onGrant?.(current);
        return { detail: `token ${current.token}` };
      });
    } catch (rollbackError) {
      return finish(
        {
          from: 'ollama',
          to,
          outcome: 'lost',
          grant: undefined,
          timeline,
          error: `${message}; rollback: ${(rollbackError as Error).message}`,
        },
        started,
        log,
      );
    }
    return finish({ from: 'ollama', to, outcome: 'failed', grant: current, timeline, error: message }, started, log);
  }
}

/**
 * vLLM (the judge's or the SUT's, whichever owns the card) → Ollama: close the card to its jobs (phase `draining`), stop that vLLM (SIGTERM, SIGKILL
 * after the stop timeout), wait for VRAM to be freed, then grant the card to Ollama under a new
 * token. vLLM is always gone after the stop step, so the card goes to Ollama even when VRAM is
 * not freed in time (reported as `failed`).
 */
export async function handToOllama(
  deps: HandoverDeps,
  grant: LeaseGrant,
  signal: AbortSignal,
): Promise<HandoverResult> {
  const from = grant.owner === 'sut' ? 'sut' : 'vllm';
  const log = deps.logger.child({ handover: `${from}→ollama` });
  const started = performance.now();
  const timeline: TimelineEntry[] = [];
  const t = deps.timeouts;
  const server = serverOf(deps, from);
  let current = grant;
  let failure: string | undefined;
  try {
    await step(timeline, log, from === 'sut' ? 'close-generate' : 'close-judge', 10_000, signal, async () => {
      current = await deps.lease.setPhase(current, 'draining');
      deps.onGrant?.(current);
      return { detail: `token ${current.token}` };
    });
  } catch (error) {
    await server.stop(t.vllmStopMs);
    return finish(
      { from, to: 'ollama', outcome: 'lost', grant: undefined, timeline, error: (error as Error).message },
      started,
      log,
    );
  }
  try {
    await step(timeline, log, 'stop-vllm', t.vllmStopMs + 5_000, signal, async () => {
      await deps.lease.fence(current, `stop the ${from === 'sut' ? 'SUT' : 'judge'} vLLM`);
      const stopped = await server.stop(t.vllmStopMs);
      return stopped.signal === 'none'
        ? { skipped: true, detail: 'not running' }
        : { detail: `stopped with ${stopped.signal} (exit ${stopped.code})` };
    });
    await step(timeline, log, 'wait-vram-free', t.vramMs, signal, (s, progress) =>
      waitVramFree(deps, s, progress, true),
    );
  } catch (error) {
    failure = (error as Error).message;
    if (error instanceof LeaseLostError) {
      await server.stop(t.vllmStopMs);
      return finish({ from, to: 'ollama', outcome: 'lost', grant: undefined, timeline, error: failure }, started, log);
    }
    if (server.running()) await server.stop(t.vllmStopMs);
  }
  try {
    await step(timeline, log, 'grant-ollama', 10_000, AbortSignal.timeout(15_000), async () => {
      current = await deps.lease.transfer(current, 'ollama', 'ready');
      deps.onGrant?.(current);
      return { detail: `token ${current.token}` };
    });
  } catch (error) {
    return finish(
      { from, to: 'ollama', outcome: 'lost', grant: undefined, timeline, error: (error as Error).message },
      started,
      log,
    );
  }
  return finish(
    {
      from,
      to: 'ollama',
      outcome: failure ? 'failed' : 'ok',
      grant: current,
      timeline,
      ...(failure ? { error: failure } : {}),
    },
    started,
    log,
  );
}
