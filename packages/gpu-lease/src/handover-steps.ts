import type { Logger } from '@gavel/core';
import type { GpuLease, GpuOwner, LeaseGrant } from './lease.ts';
import type { OllamaController } from './ollama-controller.ts';
import { sleep } from './sleep.ts';
import type { VllmController } from './vllm-controller.ts';

// The parts of a handover: its record (timeline, result), the step runner with its deadline, and the
// waits on the card (Ollama empty, VRAM free). handover.ts composes them into the two handovers.

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
export async function step(
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

export async function waitOllamaEmpty(
  deps: HandoverDeps,
  signal: AbortSignal,
  progress: (d: string) => void,
): Promise<void> {
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

/**
 * Waits until the VRAM in use, less what Ollama itself reports holding (`size_vram` in
 * `/api/ps`) when `besideOllama`, is below the threshold. Handing to vLLM nothing may be left;
 * handing back to Ollama (or recovering at start) only vLLM's memory has to be gone.
 */
export async function waitVramFree(
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

export function finish(result: Omit<HandoverResult, 'durationMs'>, started: number, log: Logger): HandoverResult {
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

/** Formats a timeline for logs and reports: `step outcome 123ms (detail)` per line. */
export function formatTimeline(timeline: readonly TimelineEntry[]): string {
  return timeline
    .map(
      (e) =>
        `${e.step.padEnd(22)} ${e.outcome.padEnd(7)} ${String(e.durationMs).padStart(6)} ms${e.detail ? `  ${e.detail}` : ''}`,
    )
    .join('\n');
}
