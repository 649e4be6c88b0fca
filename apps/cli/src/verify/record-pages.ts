import { ArbiterStore } from '@gavel/arbiter';
import type { ExportRecord, Mismatch } from '@gavel/report';
import { exportRecord } from '@gavel/runs';
import type { CliContext } from '../context.ts';

/** One page of a run's records for verify, and the samples whose stored records do not even parse. */
export interface VerifyPage {
  records: ExportRecord[];
  unreadable: Mismatch[];
}

/** The first thing wrong with a stored record: a schema issue with its path, or the parse error. */
function problem(error: unknown): string {
  const issue = (error as { issues?: { path: PropertyKey[]; message: string }[] }).issues?.[0];
  if (issue) return `${issue.path.map(String).join('.') || '(record)'}: ${issue.message}`;
  return (error as Error).message.split('\n')[0] ?? String(error);
}

/**
 * Pages a run's records out of the run store in dataset order, as `gavel export` does; a page that
 * does not parse (a record edited into something that is no longer a sample, facts or verdict) is
 * read again sample by sample, so the one that does not parse is named instead of ending the run.
 */
export async function* verifyPages(context: CliContext, runId: string, pageSize = 500): AsyncGenerator<VerifyPage> {
  const manifest = await context.store.getManifest(runId);
  const ledger = await new ArbiterStore(context.store).ledger(runId);
  for (let start = 0; ; start += pageSize) {
    const ids = await context.store.sampleIds(runId, start, start + pageSize - 1);
    if (ids.length === 0) return;
    try {
      const page = await context.store.exportPage(runId, ids);
      yield { records: page.map((entry) => exportRecord(manifest, ledger, entry)), unreadable: [] };
    } catch {
      const records: ExportRecord[] = [];
      const unreadable: Mismatch[] = [];
      for (const id of ids) {
        try {
          const [entry] = await context.store.exportPage(runId, [id]);
          if (entry) records.push(exportRecord(manifest, ledger, entry));
        } catch (error) {
          unreadable.push({
            subject: `sample ${id}`,
            sample_id: id,
            field: 'record',
            recorded: `does not parse (${problem(error)})`,
            rederived: 'nothing to re-derive from',
          });
        }
      }
      yield { records, unreadable };
    }
  }
}
