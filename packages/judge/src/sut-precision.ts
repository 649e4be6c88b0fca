import type { Sut } from '@gavel/core';

/** Full-precision weight formats; any other declared precision counts as compressed. */
const FULL_PRECISION = new Set([
  'fp32',
  'f32',
  'float32',
  'tf32',
  'fp16',
  'f16',
  'float16',
  'half',
  'bf16',
  'bfloat16',
]);

/**
 * Whether a SUT's declared precision is compressed (FP4/NVFP4/MXFP4, FP8, int4/int8, AWQ, GPTQ,
 * GGUF q-types, …). Only a judge or an open-weight baseline may run quantized, so such a verdict
 * carries the `sut_compressed` flag. A precision that is not plainly full precision counts as
 * compressed; no declared precision does not.
 */
export function isCompressedPrecision(precision: Sut['precision']): boolean {
  if (precision === undefined) return false;
  return !FULL_PRECISION.has(precision.trim().toLowerCase());
}
