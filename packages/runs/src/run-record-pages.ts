import { ArbiterStore } from '@gavel/arbiter';
import type { RunManifest } from '@gavel/core';
import type { RunStore } from '@gavel/queue';
import { type ExportRecord, sampleBestOfN } from '@gavel/report';
import { loadBestOfN } from './best-of-n-store.ts';
import { exportRecord } from './export-record.ts';

/**
 * Pages every record of a run out of the run store, in dataset order, starting at sample index
 * `from` (what `gavel export` writes and `GET /v1/runs/{id}/verdicts` streams). On a run `gavel best-of-n`
 * ranked, each candidate carries its side of its task's choice (`best_of_n`).
 */
export async function* runRecordPages(
  store: RunStore,
  manifest: RunManifest,
  options: { pageSize?: number; from?: number } = {},
): AsyncGenerator<ExportRecord[]> {
  const pageSize = options.pageSize ?? 500;
  const ledger = await new ArbiterStore(store).ledger(manifest.run_id);
  const bestOfN = await loadBestOfN(store, manifest.run_id);
  for (let start = options.from ?? 0; ; start += pageSize) {
    const ids = await store.sampleIds(manifest.run_id, start, start + pageSize - 1);
    if (ids.length === 0) return;
    const page = await store.exportPage(manifest.run_id, ids);
    yield page.map((entry) => {
      const record = exportRecord(manifest, ledger, entry);
      const choice = bestOfN && record.task_id !== null ? bestOfN.choices.get(record.task_id) : undefined;
      const mine = choice
        ? sampleBestOfN(choice, record.sample_id, bestOfN?.info ?? { tournament_run: null })
        : undefined;
      return mine ? { ...record, best_of_n: mine } : record;
    });
  }
}
