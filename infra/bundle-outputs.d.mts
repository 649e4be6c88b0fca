export declare const OUTPUTS_FILE: string;
export declare function recordedOutputs(outdir: string): string[];
export declare function keepCurrentAndPrevious(
  outdir: string,
  current: readonly string[],
  previous: readonly string[],
  records?: readonly string[],
): string[];
