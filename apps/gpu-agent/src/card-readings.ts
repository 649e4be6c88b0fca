import { findGpu, type HandoverDeps, type NvidiaSmiReader } from '@gavel/gpu-lease';

/** The judge (or generate) queue as the agent reads it (a BullMQ `Queue`). */
export interface JudgeDemand {
  getJobCounts(...types: string[]): Promise<Record<string, number>>;
}

const PENDING_STATES = ['waiting', 'prioritized', 'delayed', 'active', 'waiting-children'];

/** Jobs a queue still has to do (waiting, prioritized, delayed, active, waiting for children). */
export async function pendingIn(queue: JudgeDemand): Promise<number> {
  const counts = await queue.getJobCounts(...PENDING_STATES);
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

/**
 * The card's used VRAM in MiB as the handovers read it: `absent` without nvidia-smi; an error when
 * nvidia-smi fails, does not list the GPU, or reports no memory.used.
 */
export function vramReader(smi: NvidiaSmiReader, gpuId: string): HandoverDeps['vram'] {
  return async (signal) => {
    const snapshot = await smi.read(signal);
    if (snapshot.status === 'absent') return 'absent';
    if (snapshot.status === 'error') throw new Error(snapshot.reason);
    const reading = findGpu(snapshot, gpuId);
    if (!reading) throw new Error(`nvidia-smi does not list GPU ${gpuId}`);
    if (reading.memoryUsedMiB === undefined) throw new Error(`GPU ${gpuId} reports no memory.used`);
    return reading.memoryUsedMiB;
  };
}
