import { describe, expect, it } from 'vitest';
import { checkFamilyClash } from './family-clash.ts';
import { isCompressedPrecision } from './sut-precision.ts';

describe('judge guards', () => {
  it('refuses a judge of the SUT family, whatever the case or spacing', () => {
    expect(checkFamilyClash(' Qwen ', { model: 'qwen3-8b', family: 'qwen' })).toMatch(
      /never grades its own model family/,
    );
    expect(checkFamilyClash('llama', { model: 'qwen3-8b', family: 'qwen' })).toBeUndefined();
    expect(checkFamilyClash(null, { model: 'qwen3-8b', family: 'qwen' })).toBeUndefined();
  });

  it('holds a critic to the same rule, naming its own variable', () => {
    expect(checkFamilyClash('QWEN', { model: 'qwen3-8b', family: 'qwen' }, 'critic')).toBe(
      'critic family "QWEN" is the family of the system under test (qwen3-8b, family "qwen"); a critic never grades its own model family — choose a critic from another family (GAVEL_CRITIC_FAMILY)',
    );
    expect(checkFamilyClash('llama', { model: 'qwen3-8b', family: 'qwen' }, 'critic')).toBeUndefined();
  });

  it('treats every precision but full precision as compressed', () => {
    for (const p of ['fp4', 'NVFP4', 'mxfp4', 'int4', 'int8', 'fp8', 'awq', 'gptq-int4', 'Q4_K_M', 'w4a16'])
      expect(isCompressedPrecision(p), p).toBe(true);
    for (const p of ['bf16', 'FP16', 'fp32', 'bfloat16']) expect(isCompressedPrecision(p), p).toBe(false);
    expect(isCompressedPrecision(undefined)).toBe(false);
  });
});
