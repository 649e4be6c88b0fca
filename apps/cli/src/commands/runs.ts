import { openContext } from '../context.ts';

/** `gavel runs [--json]`: every run with its size and progress. */
export async function runsCommand(options: { json: boolean }): Promise<void> {
  const context = openContext();
  try {
    const ids = await context.store.listRuns();
    const rows = [];
    for (const id of ids) {
      const [manifest, p] = await Promise.all([context.store.findManifest(id), context.store.progress(id)]);
      rows.push({
        run_id: id,
        created_at: manifest?.created_at ?? null,
        samples: p.total,
        ended: p.ended,
        verdicts: p.verdicts,
        failed: p.failed,
        rubrics: Object.values(manifest?.rubrics ?? {}).map((r) => `${r.id}@${r.version}`),
      });
    }
    if (options.json) {
      for (const row of rows) process.stdout.write(`${JSON.stringify(row)}\n`);
      return;
    }
    if (rows.length === 0) {
      process.stdout.write('no runs yet (gavel enqueue FILE)\n');
      return;
    }
    for (const r of rows) {
      process.stdout.write(
        `${r.run_id}  ${r.created_at ?? '?'}  ${r.ended}/${r.samples} ended  ${r.verdicts} verdict(s)  ${r.failed} failed  ${r.rubrics.join(',')}\n`,
      );
    }
  } finally {
    await context.close();
  }
}
