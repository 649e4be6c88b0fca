import { coerceError, type Logger } from '@gavel/core';
import {
  decideOwner,
  type GpuAgentConfig,
  type GpuLease,
  type GpuMetrics,
  type HandoverDeps,
  type HandoverResult,
  handToOllama,
  handToVllm,
  type LeaseGrant,
  LeaseLostError,
  type LeaseWatch,
  type NvidiaSmiReader,
  type OllamaController,
  sleep,
  type VllmController,
} from '@gavel/gpu-lease';
import { type JudgeDemand, pendingIn, vramReader } from './card-readings.ts';
import { sampleGpuTelemetry } from './gpu-telemetry.ts';

export type { JudgeDemand } from './card-readings.ts';

export interface GpuAgentDeps {
  config: GpuAgentConfig;
  /** Unique per agent process, e.g. `host:pid:uuid`. */
  holder: string;
  lease: GpuLease;
  watch: LeaseWatch;
  ollama: OllamaController;
  vllm: VllmController;
  /** The SUT's vLLM, when the system under test is served on this card (GAVEL_SUT_VLLM_COMMAND). */
  sut?: VllmController;
  smi: NvidiaSmiReader;
  judgeQueue: JudgeDemand;
  /** The generate queue, read with `sut`: generate jobs pending give the card to the SUT. */
  generateQueue?: JudgeDemand;
  metrics: GpuMetrics;
  logger: Logger;
  /** Every handover result, as it finishes (logs, tests). */
  onHandover?: (result: HandoverResult) => void;
}

export type AgentExit = { reason: 'stopped' } | { reason: 'lease-lost'; error: string };

export interface GpuAgent {
  /** The grant held now (undefined before the first grant and after losing it). */
  grant(): LeaseGrant | undefined;
  /** Resolves when the agent ends: stopped, or the lease was lost (the process should exit). */
  readonly done: Promise<AgentExit>;
  /** Hands the card back to Ollama, releases the lease and ends. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * One GPU's agent: takes the lease (waiting for a dead holder's to expire), stops a vLLM left
 * behind, gives the card to Ollama, then follows demand — with a SUT served on the card, generate
 * jobs pending → the SUT's vLLM (judge jobs wait); judge jobs pending → the judge's vLLM; both queues
 * empty for the idle time → Ollama. A change between the two vLLMs goes through Ollama: the same
 * two fenced handovers, each under a new token. It renews the lease every third of its TTL; when a renewal
 * is refused it aborts what it is doing, stops vLLM and ends with `lease-lost` at once. It also
 * samples nvidia-smi into gauges and the energy counter.
 */
export function startGpuAgent(deps: GpuAgentDeps): GpuAgent {
  const { config, lease, logger: log } = deps;
  const controller = new AbortController();
  const signal = controller.signal;
  const abortAll = (reason: Error): void => {
    controller.abort(reason);
  };
  let grant: LeaseGrant | undefined;
  let vllmCrashed = false;
  let lostError: string | undefined;
  let stopRequested = false;

  const setGrant = (next: LeaseGrant): void => {
    grant = next;
  };

  const handoverDeps: HandoverDeps = {
    lease,
    ollama: deps.ollama,
    vllm: deps.vllm,
    ...(deps.sut ? { sut: deps.sut } : {}),
    vram: vramReader(deps.smi, config.GAVEL_GPU_ID),
    vramFreeMiB: config.GAVEL_VRAM_FREE_MIB,
    timeouts: config.timeouts,
    pollMs: Math.min(200, config.GAVEL_GPU_POLL_MS),
    logger: log,
    onGrant: setGrant,
  };

  for (const [owner, server] of [['vllm', deps.vllm] as const, ['sut', deps.sut] as const]) {
    server?.onUnexpectedExit((code, sig) => {
      // During a handover the step waiting for /health sees the exit itself.
      if (grant?.owner !== owner || grant.phase !== 'ready') return;
      vllmCrashed = true;
      log.error({ code, signal: sig, owner }, 'vLLM crashed while holding the card: handing it back to Ollama');
    });
  }

  const loseLease = (error: unknown): void => {
    if (lostError) return;
    lostError = coerceError(error).message;
    grant = undefined;
    log.error({ err: coerceError(error) }, 'GPU lease lost: stopping everything on the card');
    controller.abort(new LeaseLostError(lostError, undefined));
  };

  const heartbeat = setInterval(
    () => {
      const held = grant;
      if (!held || lostError) return;
      lease.renew(held).catch((error: unknown) => {
        // A transfer may have replaced the grant while this renewal was on the wire.
        if (grant !== held) return;
        if (error instanceof LeaseLostError) loseLease(error);
        else log.warn({ err: coerceError(error) }, 'lease renewal failed (will retry)');
      });
    },
    Math.max(10, Math.floor(config.leaseTtlMs / 3)),
  );

  const telemetry = sampleGpuTelemetry({
    smi: deps.smi,
    metrics: deps.metrics,
    watch: deps.watch,
    gpuId: config.GAVEL_GPU_ID,
    intervalMs: config.GAVEL_NVIDIA_SMI_INTERVAL_MS,
    usdPerKwh: config.GAVEL_ELECTRICITY_USD_PER_KWH,
    signal,
    log,
  });

  deps.metrics.observeLease(deps.watch.current());
  const unwatch = deps.watch.onChange((record) => deps.metrics.observeLease(record));

  const report = (result: HandoverResult): void => {
    deps.metrics.observeHandover(result);
    deps.onHandover?.(result);
    if (result.outcome === 'lost') loseLease(new Error(result.error ?? 'lease lost during handover'));
  };

  const generateQueue = deps.sut ? deps.generateQueue : undefined;

  // Aborted by stop(): ends waits between iterations, never a handover in flight.
  const wake = new AbortController();
  const idle = AbortSignal.any([signal, wake.signal]);
  const pause = (ms: number): Promise<void> => sleep(ms, idle).catch(() => {});

  const loop = async (): Promise<void> => {
    let first: LeaseGrant;
    try {
      first = await lease.acquire(deps.holder, 'vllm', {
        signal: idle,
        phase: 'draining',
        pollMs: config.GAVEL_GPU_POLL_MS,
      });
    } catch (error) {
      if (stopRequested) return;
      throw error;
    }
    grant = first;
    log.info({ fencingToken: first.token, holder: deps.holder }, 'GPU lease acquired: recovering the card for Ollama');
    await lease.fence(first, 'stop an orphaned vLLM');
    const orphan = await deps.vllm.stopOrphan(config.timeouts.vllmStopMs);
    if (orphan !== undefined) log.warn({ vllmPid: orphan }, 'stopped a vLLM left by a previous agent');
    const sutOrphan = await deps.sut?.stopOrphan(config.timeouts.vllmStopMs);
    if (sutOrphan !== undefined) log.warn({ vllmPid: sutOrphan }, 'stopped a SUT vLLM left by a previous agent');
    report(await handToOllama(handoverDeps, first, signal));

    let idleSince: number | undefined;
    let retryAt = 0;
    while (!signal.aborted && !stopRequested) {
      const held = grant;
      if (!held) return;
      if (vllmCrashed && held.owner !== 'ollama') {
        vllmCrashed = false;
        report(await handToOllama(handoverDeps, held, signal));
        retryAt = Date.now() + config.retryMs;
        continue;
      }
      vllmCrashed = false;
      let count: number | undefined;
      let generating: number | undefined;
      try {
        [count, generating] = await Promise.all([
          pendingIn(deps.judgeQueue),
          generateQueue ? pendingIn(generateQueue) : undefined,
        ]);
      } catch (error) {
        count = undefined;
        log.warn({ err: coerceError(error) }, 'cannot read the judge or generate queue');
      }
      if (count !== undefined) {
        const decision = decideOwner({
          owner: held.owner,
          pending: count,
          ...(generating !== undefined ? { generatePending: generating } : {}),
          now: Date.now(),
          idleSince,
          idleMs: config.idleMs,
        });
        idleSince = decision.idleSince;
        const want = decision.want;
        if (want !== 'ollama' && held.owner === 'ollama' && Date.now() >= retryAt && !stopRequested) {
          log.info(
            { pending: count, generatePending: generating, to: want },
            want === 'sut'
              ? 'generate jobs pending: handing the GPU to the SUT'
              : 'judge jobs pending: handing the GPU to vLLM',
          );
          // A stop request aborts a handover to vLLM (it rolls back to Ollama); one back to Ollama completes.
          const result = await handToVllm(handoverDeps, held, idle, want);
          report(result);
          if (result.outcome !== 'ok') retryAt = Date.now() + config.retryMs;
        } else if (want !== held.owner && held.owner !== 'ollama') {
          // Idle, or the other vLLM's turn: back to Ollama first (the next round hands it on).
          log.info({ idleMs: config.idleMs, from: held.owner, want }, 'handing the GPU back to Ollama');
          report(await handToOllama(handoverDeps, held, signal));
        }
      }
      await pause(config.GAVEL_GPU_POLL_MS);
    }
    // Stopping: the card goes back to Ollama and the lease is released for the next agent.
    const held = grant;
    if (!held || signal.aborted) return;
    let final: LeaseGrant | undefined = held;
    if (held.owner !== 'ollama') {
      const result = await handToOllama(handoverDeps, held, signal);
      report(result);
      final = result.grant;
    }
    if (final && !lostError) {
      await lease.release(final);
      grant = undefined;
      log.info({ fencingToken: final.token, owner: final.owner }, 'GPU lease released');
    }
  };

  const done: Promise<AgentExit> = loop()
    .catch((error: unknown) => {
      if (!lostError) loseLease(error);
    })
    .then(async () => {
      clearInterval(heartbeat);
      if (!signal.aborted) abortAll(new Error('agent ended'));
      unwatch();
      await telemetry;
      if (lostError) {
        await deps.vllm.stop(config.timeouts.vllmStopMs);
        await deps.sut?.stop(config.timeouts.vllmStopMs);
        return { reason: 'lease-lost' as const, error: lostError };
      }
      return { reason: 'stopped' as const };
    });

  return {
    grant: () => grant,
    done,
    async stop() {
      stopRequested = true;
      wake.abort(new Error('agent stopping'));
      await done;
    },
  };
}
