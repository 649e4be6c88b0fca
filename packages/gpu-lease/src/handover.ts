import type { Logger } from '@gavel/core';
import { type GpuLease, type GpuOwner, type LeaseGrant, LeaseLostError } from './lease.ts';
import type { OllamaController } from './ollama-controller.ts';
import { sleep } from './sleep.ts';
import type { VllmController } from './vllm-controller.ts';

/** One step of a handover as it happened. */
export interface TimelineEntry {
  step: string;
  outcome: 'ok' | 'failed' | 'skipped';
  startedAt: number;
  durationMs: number;
  detail?: string;
}

export interface HandoverResult {
  from: GpuOwner;
  to: GpuOwner;
  /** `ok`: the card went to `to`; `failed`: it is back with (or stays with) `grant.owner`; `lost`: the lease was lost. */
  outcome: 'ok' | 'failed' | 'lost';
  /** The grant held afterwards (undefined when the lease was lost). */
  grant: LeaseGrant | undefined;
  timeline: TimelineEntry[];
  durationMs: number;
  error?: string;
}

/** VRAM used on the agent's card in MiB, or `absent` where no reader can tell (no nvidia-smi). */
export type VramProbe = (signal: AbortSignal) => Promise<number | 'absent'>;

export interface HandoverDeps {
  lease: GpuLease;
  ollama: OllamaController;
  /** The judge's vLLM (owner `vllm`). */
  vllm: VllmController;
  /** The SUT's vLLM (owner `sut`), when the agent serves the system under test on this card. */
  sut?: VllmController;
  vram: VramProbe;
  vramFreeMiB: number;
  timeouts: { unloadMs: number; vramMs: number; vllmStartMs: number; vllmStopMs: number };
  pollMs?: number;
  logger: Logger;
  /** Told of every new grant (transfer, phase change) at once, so the holder's heartbeat uses it. */
  onGrant?: (grant: LeaseGrant) => void;
}

class StepTimeout extends Error {
  override readonly name = 'StepTimeout';
}

interface StepOutcome {
  detail?: string;
  skipped?: boolean;
}

/** Runs one named step under its own deadline, logging it and appending it to `timeline`. */
async function step(
  timeline: TimelineEntry[],
  log: Logger,
  name: string,
  timeoutMs: number,
  signal: AbortSignal,
  run: (signal: AbortSignal, progress: (detail: string) => void) => Promise<StepOutcome | undefined>,
): Promise<void> {
  const startedAt = Date.now();
  const started = performance.now();
  const deadline = AbortSignal.timeout(timeoutMs);
  const stepSignal = AbortSignal.any([signal, deadline]);
  let last = '';
  const record = (outcome: TimelineEntry['outcome'], detail?: string): void => {
    const entry: TimelineEntry = {
      step: name,
      outcome,
      startedAt,
      durationMs: Math.round(performance.now() - started),
    };
    if (detail) entry.detail = detail;
    timeline.push(entry);
    (outcome === 'failed' ? log.warn : log.info).call(log, { ...entry }, `handover step ${name} ${outcome}`);
  };
  try {
    const result = await run(stepSignal, (detail) => {
      last = detail;
    });
    record(result?.skipped ? 'skipped' : 'ok', result?.detail);
  } catch (error) {
    if (deadline.aborted && !signal.aborted) {
      const timeout = new StepTimeout(`step ${name} timed out after ${timeoutMs} ms${last ? `: ${last}` : ''}`);
      record('failed', timeout.message);
      throw timeout;
    }
    record('failed', (error as Error).message);
    throw error;
  }
}

async function waitOllamaEmpty(deps: HandoverDeps, signal: AbortSignal, progress: (d: string) => void): Promise<void> {
  for (;;) {
    const models = await deps.ollama.loaded(signal);
    if (models.length === 0) return;
    progress(`still loaded: ${models.map((m) => m.name).join(', ')}`);
    // A request that passed the gate just before the handover may have loaded a model again.
    for (const model of models) await deps.ollama.unload(model.name, signal);
    await sleep(deps.pollMs ?? 200, signal);
  }
}

const MIB = 1024 * 1024;

/** The vLLM server of a vLLM owner: the judge's, or the SUT's. */
function serverOf(deps: HandoverDeps, owner: 'vllm' | 'sut'): VllmController {
  if (owner === 'vllm') return deps.vllm;
  if (!deps.sut) throw new Error('no SUT vLLM is configured on this agent (GAVEL_SUT_VLLM_COMMAND)');
  return deps.sut;
}

/**
 * Waits until the VRAM in use, less what Ollama itself reports holding (`size_vram` in
 * `/api/ps`) when `besideOllama`, is below the threshold. Handing to vLLM nothing may be left;
 * handing back to Ollama (or recovering at start) only vLLM's memory has to be gone.
 */
async function waitVramFree(
  deps: HandoverDeps,
  signal: AbortSignal,
  progress: (d: string) => void,
  besideOllama: boolean,
): Promise<StepOutcome> {
  for (;;) {
    let used: number | 'absent' | undefined;
    let ollamaMiB = 0;
    try {
      used = await deps.vram(signal);
      if (besideOllama && used !== 'absent') {
        const models = await deps.ollama.loaded(signal);
        ollamaMiB = Math.round(models.reduce((sum, m) => sum + (m.size_vram ?? 0), 0) / MIB);
      }
    } catch (error) {
      signal.throwIfAborted();
      progress(`cannot read VRAM: ${(error as Error).message}`);
      used = undefined;
    }
    if (used === 'absent') return { skipped: true, detail: 'nvidia-smi absent: VRAM not checked' };
    if (used !== undefined) {
      const other = used - ollamaMiB;
      const held = ollamaMiB > 0 ? ` (${ollamaMiB} MiB of them Ollama's)` : '';
      if (other < deps.vramFreeMiB) return { detail: `${used} MiB used${held} (< ${deps.vramFreeMiB})` };
      progress(`${used} MiB used${held} (waiting for < ${deps.vramFreeMiB})`);
    }
    await sleep(deps.pollMs ?? 200, signal);
  }
}

function finish(result: Omit<HandoverResult, 'durationMs'>, started: number, log: Logger): HandoverResult {
  const done: HandoverResult = { ...result, durationMs: Math.round(performance.now() - started) };
  const summary = {
    from: done.from,
    to: done.to,
    outcome: done.outcome,
    durationMs: done.durationMs,
    fencingToken: done.grant?.token,
    owner: done.grant?.owner,
    error: done.error,
    timeline: done.timeline,
  };
  (done.outcome === 'ok' ? log.info : log.error).call(log, summary, `handover ${done.from}→${done.to} ${done.outcome}`);
  return done;
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

/** Formats a timeline for logs and reports: `step outcome 123ms (detail)` per line. */
export function formatTimeline(timeline: readonly TimelineEntry[]): string {
  return timeline
    .map(
      (e) =>
        `${e.step.padEnd(22)} ${e.outcome.padEnd(7)} ${String(e.durationMs).padStart(6)} ms${e.detail ? `  ${e.detail}` : ''}`,
    )
    .join('\n');
}
