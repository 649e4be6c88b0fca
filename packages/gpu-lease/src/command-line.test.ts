import { describe, expect, it } from 'vitest';
import { splitCommandLine } from './command-line.ts';

describe('splitCommandLine', () => {
  it('splits the vLLM command line into argv without a shell', () => {
    expect(splitCommandLine('vllm serve org/model-FP4  --kv-cache-dtype fp8 --max-model-len 16384')).toEqual([
      'vllm',
      'serve',
      'org/model-FP4',
      '--kv-cache-dtype',
      'fp8',
      '--max-model-len',
      '16384',
    ]);
  });

  it('keeps quoted words and escapes together and expands nothing', () => {
    expect(splitCommandLine(`run --chat-template '{{ $x }}' "a \\"b\\" c" d\\ e ''`)).toEqual([
      'run',
      '--chat-template',
      '{{ $x }}',
      'a "b" c',
      'd e',
      '',
    ]);
  });

  it('rejects an unterminated quote', () => {
    expect(() => splitCommandLine('vllm serve "model')).toThrow(/unterminated " quote/);
  });
});
