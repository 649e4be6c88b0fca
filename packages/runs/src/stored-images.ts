import type { RunStore } from '@gavel/queue';
import { type ExportRecord, recordImageHashes } from '@gavel/report';

/**
 * The bytes of every image the records' pairs show, read from the image store by sha256 (what the
 * review matrix embeds). One no longer stored is left out: the page shows its marker instead.
 */
export async function storedImages(store: RunStore, records: readonly ExportRecord[]): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const sha256 of recordImageHashes(records)) {
    const bytes = await store.images.get(sha256);
    if (bytes) out.set(sha256, bytes);
  }
  return out;
}
