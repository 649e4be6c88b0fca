import type { RunManifest } from '@gavel/core';
import type { RunStore } from '@gavel/queue';
import type { ExportRecord } from '@gavel/report';
import { runRecordPages } from '@gavel/runs';

/** Which records a verdict stream carries. */
export type VerdictFilter = 'all' | 'verdict' | 'failed';

/**
 * A run's records as an NDJSON byte stream, pulled page by page from the run store only as fast as
 * the client reads (a `pull` stream: the next page is fetched when the consumer wants more), so a
 * 10k-sample run is never held whole. A client that goes away cancels the stream and the paging
 * stops. A failure mid-stream ends the stream with one `{"error": {message, sent}}` line (`sent`: the
 * records before it), never a silent cut.
 */
export function verdictStream(
  store: RunStore,
  manifest: RunManifest,
  options: {
    filter: VerdictFilter;
    from: number;
    pageSize?: number;
    /** Called once when the stream ends: how many records went out, and why it ended. */
    onEnd?: (sent: number, how: 'complete' | 'cancelled' | 'failed') => void;
  },
): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  const pages = runRecordPages(store, manifest, { from: options.from, pageSize: options.pageSize ?? 200 });
  const keep = (r: ExportRecord) => options.filter === 'all' || r.status === options.filter;
  let sent = 0;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          for (;;) {
            const next = await pages.next();
            if (next.done) {
              controller.close();
              options.onEnd?.(sent, 'complete');
              return;
            }
            const lines = next.value.filter(keep).map((r) => `${JSON.stringify(r)}\n`);
            if (lines.length > 0) {
              sent += lines.length;
              controller.enqueue(encoder.encode(lines.join('')));
              return;
            }
          }
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          controller.enqueue(encoder.encode(`${JSON.stringify({ error: { message, sent } })}\n`));
          controller.close();
          options.onEnd?.(sent, 'failed');
        }
      },
      async cancel() {
        await pages.return(undefined);
        options.onEnd?.(sent, 'cancelled');
      },
    },
    { highWaterMark: 1 },
  );
}
