import { writeFileSync } from 'node:fs';
import {
  compareRuns,
  junitXml,
  RubricMismatchError,
  type RunRecords,
  reviewComparisonView,
  reviewCsv,
  reviewHtml,
  reviewMatrix,
} from '@gavel/report';
import { storedImages } from '@gavel/runs';
import { CliError } from '../cli-error.ts';
import { type CliContext, openContext } from '../context.ts';
import { loadRunRecords, readExportFile } from '../run-records-source.ts';

export interface ReviewOptions {
  against?: string;
  out?: string;
  csv?: string;
  junit?: string;
  fromExport: boolean;
  /** With `fromExport`: read the pairs' images from the image store all the same. */
  imagesFromStore?: boolean;
  allowRubricChange: boolean;
}

/**
 * `gavel review RUN [--against BASE] [--out report.html] [--csv FILE] [--junit FILE]`: the review
 * matrix as one self-contained HTML file (and, on request, the same matrix as CSV and the run as JUnit
 * XML). With `--against`, the page carries the comparison's figures, decision, deltas and flips. With
 * `--from-export`, RUN and BASE are `gavel export` files instead of runs in Redis. A pair's images are
 * embedded from the image store (by sha256; from an export file only with `--images-from-store`).
 */
export async function reviewCommand(run: string, options: ReviewOptions): Promise<void> {
  let context: CliContext | undefined;
  const load = (id: string): Promise<RunRecords> => {
    if (options.fromExport) return readExportFile(id);
    context ??= openContext();
    return loadRunRecords(context, id);
  };
  try {
    const candidate = await load(run);
    const base = options.against ? await load(options.against) : undefined;
    let comparison: ReturnType<typeof reviewComparisonView> | undefined;
    if (base) {
      try {
        comparison = reviewComparisonView(
          base,
          candidate,
          compareRuns(base, candidate, { allowRubricChange: options.allowRubricChange }),
        );
      } catch (error) {
        if (error instanceof RubricMismatchError) throw new CliError(`gavel review: ${error.message}`, 1);
        throw error;
      }
    }
    const runId = candidate.manifest?.run_id ?? candidate.records[0]?.run_id ?? 'run';
    const out = options.out ?? `gavel-review-${runId.replace(/[^A-Za-z0-9._-]/g, '_')}.html`;
    let images: Map<string, Buffer> | undefined;
    if (!options.fromExport || options.imagesFromStore) {
      context ??= openContext();
      images = await storedImages(context.store, candidate.records);
    }
    const html = reviewHtml({
      run: candidate,
      ...(comparison ? { comparison } : {}),
      ...(images ? { images } : {}),
      onImageProblems: (problems) => {
        for (const p of problems.slice(0, 20))
          process.stderr.write(`gavel review: image ${p.sha256} not embedded: ${p.problem}\n`);
        if (problems.length > 20) process.stderr.write(`gavel review: … and ${problems.length - 20} more\n`);
      },
    });
    writeFileSync(out, html);
    const written = [`${out} (${(Buffer.byteLength(html) / 1024).toFixed(0)} KiB)`];
    if (options.csv) {
      writeFileSync(options.csv, reviewCsv(reviewMatrix(candidate, comparison ? { base: comparison.base } : {})));
      written.push(options.csv);
    }
    if (options.junit) {
      writeFileSync(options.junit, junitXml(candidate));
      written.push(options.junit);
    }
    const embedded = images && images.size > 0 ? ` (${images.size} image(s) from the image store)` : '';
    process.stderr.write(
      `gavel review: ${candidate.records.length} sample(s) of run ${runId}${embedded}: ${written.join(', ')}\n`,
    );
    process.stdout.write(`${out}\n`);
  } finally {
    await (context as CliContext | undefined)?.close();
  }
}
