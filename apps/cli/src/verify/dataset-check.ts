import { type DatasetFile, datasetHash, type RunManifest } from '@gavel/core';
import type { Mismatch } from '@gavel/report';

/**
 * The dataset files given to `gavel verify --dataset` against the manifest: each file's sha256 (in
 * the order the producer read them) and the dataset hash over them and the images they show
 * (`imageHashes`, resolved from the files again), computed as the producer computes it.
 */
export function checkDataset(
  manifest: RunManifest,
  files: readonly DatasetFile[],
  imageHashes: readonly string[] = [],
): Mismatch[] {
  const subject = 'dataset';
  const recorded = manifest.dataset;
  const mismatches: Mismatch[] = [];
  if (files.length !== recorded.files.length) {
    mismatches.push({
      subject,
      sample_id: null,
      field: 'files',
      recorded: recorded.files.map((f) => f.path),
      rederived: files.map((f) => f.path),
    });
  }
  files.forEach((file, i) => {
    const pinned = recorded.files[i];
    if (pinned && pinned.sha256 !== file.sha256) {
      mismatches.push({
        subject,
        sample_id: null,
        field: `files[${i}] (${file.path}) sha256`,
        recorded: pinned.sha256,
        rederived: file.sha256,
      });
    }
  });
  const images = [...new Set(imageHashes)].sort();
  const pinnedImages = recorded.images ?? [];
  if (images.join() !== pinnedImages.join()) {
    mismatches.push({ subject, sample_id: null, field: 'images', recorded: pinnedImages, rederived: images });
  }
  const hash = datasetHash(files, images);
  if (hash !== recorded.sha256) {
    mismatches.push({ subject, sample_id: null, field: 'sha256', recorded: recorded.sha256, rederived: hash });
  }
  return mismatches;
}
