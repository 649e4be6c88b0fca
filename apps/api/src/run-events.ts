import type { RunProgress } from '@gavel/queue';

/** Pure: the SSE frame of a progress event (`event: progress` or, once every sample ended, `event: ended`). */
export function progressFrame(runId: string, p: RunProgress, id: number): string {
  const data = JSON.stringify({
    run_id: runId,
    total: p.total,
    ended: p.ended,
    verdicts: p.verdicts,
    failed: p.failed,
    facts: p.facts,
    judged: p.judged,
    routed: p.routed,
    arbitrated: p.arbitrated,
  });
  const event = p.total > 0 && p.ended >= p.total ? 'ended' : 'progress';
  return `id: ${id}\nevent: ${event}\ndata: ${data}\n\n`;
}

/** Pure: did anything a client sees change between two readings? */
export function progressChanged(a: RunProgress | undefined, b: RunProgress): boolean {
  return (
    a === undefined ||
    a.total !== b.total ||
    a.ended !== b.ended ||
    a.facts !== b.facts ||
    a.judged !== b.judged ||
    a.routed !== b.routed ||
    a.arbitrated !== b.arbitrated ||
    a.verdicts !== b.verdicts ||
    a.failed !== b.failed
  );
}

/**
 * A run's progress as Server-Sent Events: the server reads the run store every `intervalMs` and
 * sends a frame when something changed (and a comment every 15 s to keep proxies open); the stream
 * ends after the `ended` frame. A client that goes away cancels it.
 */
export function runEventStream(
  runId: string,
  read: () => Promise<RunProgress>,
  intervalMs = 500,
): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let last: RunProgress | undefined;
  let id = 0;
  let quietMs = 0;
  let cancelled = false;
  let timer: NodeJS.Timeout | undefined;
  const sleep = () =>
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, intervalMs);
    });
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      for (;;) {
        if (cancelled) return;
        let p: RunProgress;
        try {
          p = await read();
        } catch (error) {
          controller.enqueue(
            encoder.encode(`event: error\ndata: ${JSON.stringify({ message: (error as Error).message })}\n\n`),
          );
          controller.close();
          return;
        }
        if (progressChanged(last, p)) {
          last = p;
          id += 1;
          quietMs = 0;
          controller.enqueue(encoder.encode(progressFrame(runId, p, id)));
          if (p.total > 0 && p.ended >= p.total) controller.close();
          return;
        }
        if (quietMs >= 15_000) {
          quietMs = 0;
          controller.enqueue(encoder.encode(': keep-alive\n\n'));
          return;
        }
        await sleep();
        quietMs += intervalMs;
      }
    },
    cancel() {
      cancelled = true;
      clearTimeout(timer);
    },
  });
}
