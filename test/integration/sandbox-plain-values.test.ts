import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { sandboxImage } from './sandbox-fixtures.ts';

// sandbox/plain_values.py is the only thing that crosses between the sample's process and the tests'
// process in the container; these checks run it in the sandbox image, with the image's python3.

function py(body: string): string {
  const script = `import sys\nsys.path.insert(0, "/opt/gavel")\nfrom plain_values import encode, decode, NotPlain\n${body}`;
  return execFileSync(
    'docker',
    [
      'run',
      '--rm',
      '--network',
      'none',
      '--label',
      'gavel=plain-values-test',
      '--entrypoint',
      'python3',
      sandboxImage(),
      '-c',
      script,
    ],
    { encoding: 'utf8', timeout: 120_000 },
  ).trim();
}

describe('plain values', () => {
  it('round-trips exact builtin types, nested, keeping each type', () => {
    const out = py(
      [
        'v = {1: (2, b"\\x00\\xff", frozenset({3})), "big": -(2**100), "f": [float("inf"), -0.0, 0.5],',
        '     "s": {"a", "\\u00e9", "\\udc80"}, "n": None, "b": [True, False], (1, "k"): [[[]]]}',
        'w = decode(encode(v, 1 << 20), 1 << 20)',
        'def types(x):',
        '    if isinstance(x, dict): return ["dict", sorted((repr(types(k)), repr(types(y))) for k, y in x.items())]',
        '    if isinstance(x, (list, tuple, set, frozenset)): return [type(x).__name__, sorted(repr(types(y)) for y in x)]',
        '    return type(x).__name__',
        'print(w == v and types(w) == types(v) and str(w["f"][1]) == "-0.0")',
      ].join('\n'),
    );
    expect(out).toBe('True');
  });

  it('refuses subclasses of builtin types and objects with their own __eq__', () => {
    const out = py(
      [
        'class I(int): pass',
        'class L(list): pass',
        'class Eq:',
        '    def __eq__(self, o): return True',
        'for v in (I(1), L(), Eq(), [1, I(2)], {"k": L()}, (x for x in []), print):',
        '    try:',
        '        encode(v, 1 << 20)',
        '        print("encoded", type(v).__name__)',
        '    except NotPlain as e:',
        '        print(e)',
      ].join('\n'),
    );
    expect(out.split('\n')).toEqual([
      'not a plain value: __main__.I',
      'not a plain value: __main__.L',
      'not a plain value: __main__.Eq',
      'not a plain value: __main__.I',
      'not a plain value: __main__.L',
      'not a plain value: builtins.generator',
      'not a plain value: builtins.builtin_function_or_method',
    ]);
  });

  it('refuses values over the byte limit, nested too deep, untagged objects and malformed input', () => {
    const out = py(
      [
        'cases = []',
        'for f in (lambda: encode("x" * 100, 50), lambda: encode(eval("[" * 150 + "]" * 150), 1 << 20),',
        '          lambda: decode(b"{\\"k\\": 1}", 1 << 20), lambda: decode(b"{\\"z\\": []}", 1 << 20),',
        '          lambda: decode(b"[" * 100000 + b"]" * 100000, 1 << 30), lambda: decode(b"{\\"s\\": [[1]]}", 1 << 20),',
        '          lambda: decode(b"1" * 5000, 1 << 20), lambda: decode(b"[1]", 2)):',
        '    try:',
        '        f()',
        '        cases.append("accepted")',
        '    except NotPlain:',
        '        cases.append("refused")',
        'print(" ".join(cases))',
      ].join('\n'),
    );
    expect(out).toBe('refused refused refused refused refused refused refused refused');
  });
});
