/** Bounds on what one sample sends to the analysis server. */
export interface AnalysisCaps {
  /** A file over this is not analysed. */
  maxFileBytes: number;
  /** The sample's files are analysed in order until their total would pass this. */
  maxRequestBytes: number;
  /** At most this many files of a sample are analysed. */
  maxRequestFiles: number;
}

export interface SkippedFile {
  file: string;
  reason: string;
}

/**
 * The files one analysis request carries, and those left out with why: each file at most
 * `maxFileBytes`, all together at most `maxRequestBytes` and `maxRequestFiles` (files in the
 * sample's order; a file that does not fit is skipped and later smaller ones may still go).
 */
export function planAnalysisRequest(
  files: Record<string, string>,
  caps: AnalysisCaps,
): { files: Record<string, string>; skipped: SkippedFile[] } {
  const send: Record<string, string> = {};
  const skipped: SkippedFile[] = [];
  let bytes = 0;
  let count = 0;
  for (const [file, source] of Object.entries(files)) {
    const size = Buffer.byteLength(source);
    if (size > caps.maxFileBytes) skipped.push({ file, reason: `over the ${caps.maxFileBytes}-byte file limit` });
    else if (bytes + size > caps.maxRequestBytes)
      skipped.push({ file, reason: `past the sample's ${caps.maxRequestBytes}-byte analysis limit` });
    else if (count >= caps.maxRequestFiles)
      skipped.push({ file, reason: `past the sample's ${caps.maxRequestFiles}-file analysis limit` });
    else {
      send[file] = source;
      bytes += size;
      count += 1;
    }
  }
  return { files: send, skipped };
}
