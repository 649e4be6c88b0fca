import { once } from 'node:events';
import { createWriteStream, writeFileSync } from 'node:fs';
import { openContext } from '../context.ts';
import { manifestPathFor, runRecordPages } from '../run-records-source.ts';

/**
 * `gavel export RUN [--out FILE]`: one JSON object per sample, in dataset order. With `--out`, the
 * run's manifest goes beside the file (`FILE.manifest.json`), so `--from-export` can compare it later.
 */
export async function exportCommand(runId: string, options: { out?: string; pageSize: number }): Promise<void> {
  const context = openContext();
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
