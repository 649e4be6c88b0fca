import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { ArbiterStore } from '@gavel/arbiter';
import { CliError } from '../cli-error.ts';
import { openContext } from '../context.ts';
import { exportRecord } from '../export-record.ts';

/** `gavel export RUN [--out FILE]`: one JSON object per sample, in dataset order. */
export async function exportCommand(runId: string, options: { out?: string; pageSize: number }): Promise<void> {
  const context = openContext();
  const out = options.out ? createWriteStream(options.out) : process.stdout;
  let count = 0;
  try {
    const manifest = await context.store.findManifest(runId);
    if (!manifest) throw new CliError(`gavel export: no run ${runId} (see gavel runs)`, 1);
    const ledger = await new ArbiterStore(context.store).ledger(runId);
    for (let start = 0; ; start += options.pageSize) {
      const ids = await context.store.sampleIds(runId, start, start + options.pageSize - 1);
      if (ids.length === 0) break;
      const page = await context.store.exportPage(runId, ids);
      const chunk = page.map((entry) => JSON.stringify(exportRecord(manifest, ledger, entry))).join('\n');
      if (!out.write(`${chunk}\n`)) await once(out, 'drain');
      count += page.length;
    }
    if (options.out) {
      out.end();
      await once(out, 'finish');
      process.stderr.write(`exported ${count} sample(s) of run ${runId} to ${options.out}\n`);
    }
  } finally {
    await context.close();
  }
}
