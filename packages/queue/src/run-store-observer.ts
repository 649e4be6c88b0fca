import type { Facts, Verdict } from '@gavel/core';

/**
 * Told of each first write (never of a repeat), so counters built on it count every sample once
 * however often a stage runs. An observer that throws is ignored: the store's write stands.
 */
export interface RunStoreObserver {
  facts?(runId: string, sampleId: string, facts: Facts): void;
  judgement?(runId: string, sampleId: string, judgement: Verdict): void;
  finalVerdict?(runId: string, sampleId: string, verdict: Verdict): void;
}

/** The store's observers; {@link ObserverList.notify} never lets one's failure reach the writer. */
export class ObserverList {
  private readonly observers: RunStoreObserver[] = [];

  add(observer: RunStoreObserver): void {
    this.observers.push(observer);
  }

  notify(call: (observer: RunStoreObserver) => void): void {
    for (const observer of this.observers) {
      try {
        call(observer);
      } catch {
        // an observer's failure never undoes or fails a recorded result
      }
    }
  }
}
