import { once } from 'node:events';
import { createWriteStream, writeFileSync } from 'node:fs';
import { reviewCsv, reviewMatrix } from '@gavel/report';
import { openContext } from '../context.ts';
import { loadRunRecords, manifestPathFor, runRecordPages } from '../run-records-source.ts';

/**
 * `gavel export RUN [--format jsonl|csv] [--out FILE]`: one JSON object per sample, in dataset order,
 * or (`csv`) the review matrix, one row per sample with the columns of `gavel review`. With `--out`, a
 * JSONL export gets the run's manifest beside it (`FILE.manifest.json`), so `--from-export` can compare
 * it later.
 */
export async function exportCommand(
  runId: string,
  options: { out?: string; pageSize: number; format?: 'jsonl' | 'csv' },
): Promise<void> {
  const context = openContext();
  if (options.format === 'csv') {
    try {
      const csv = reviewCsv(reviewMatrix(await loadRunRecords(context, runId)));
      if (options.out) writeFileSync(options.out, csv);
      else if (!process.stdout.write(csv)) await once(process.stdout, 'drain');
    } finally {
      await context.close();
    }
    return;
  }
  const out = options.out ? createWriteStream(options.out) : process.stdout;
  let count = 0;
  try {
    for await (const page of runRecordPages(context, runId, options.pageSize)) {
      const chunk = page.map((record) => JSON.stringify(record)).join('\n');
      if (!out.write(`${chunk}\n`)) await once(out, 'drain');
      count += page.length;
    }
    if (options.out) {
      out.end();
      await once(out, 'finish');
      writeFileSync(
        manifestPathFor(options.out),
        `${JSON.stringify(await context.store.getManifest(runId), null, 2)}\n`,
      );
      process.stderr.write(`exported ${count} sample(s) of run ${runId} to ${options.out}\n`);
    }
  } finally {
    await context.close();
  }
}
