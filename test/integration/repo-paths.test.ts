import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');

/**
 * Absolute places that exist on the machine the project was written on but not in a user's clone.
 * Spelled in pieces so this file does not name them itself.
 */
const FOREIGN_ABSOLUTE = [new RegExp(`(^|[^\\w.])/${'work'}/`), new RegExp(`/tmp/${'gavel'}-team`)];

/** A relative path `../…` (one or more steps up) followed by the first name it reaches. */
const RELATIVE_UP = /(?:\.\.\/)+([\w.-]+)/g;

/**
 * Top-level system directories: a `../../../etc/passwd` that leaves the repository for one of these is a
 * path-traversal payload in a test (a hostile sample's file name), not a file the project reads.
 */
const TRAVERSAL_TARGETS = new Set(['etc', 'proc', 'sys', 'dev', 'tmp', 'root', 'usr', 'bin', 'var']);

/** Files git would put in a clone or a commit: tracked ones plus untracked ones not ignored. */
function projectFiles(): string[] {
  return execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: ROOT,
    encoding: 'utf8',
  })
    .split('\0')
    .filter(Boolean);
}

function readText(file: string): string | null {
  let bytes: Buffer;
  try {
    bytes = readFileSync(join(ROOT, file));
  } catch {
    return null;
  }
  return bytes.includes(0) ? null : bytes.toString('utf8');
}

/** Every `file:line: text` in the project that names a path outside the repository. */
function pathsOutsideRepo(): string[] {
  const found: string[] = [];
  for (const file of projectFiles()) {
    const text = readText(file);
    if (text === null) continue;
    const fileDir = join(ROOT, dirname(file));
    text.split('\n').forEach((line, i) => {
      const at = `${file}:${i + 1}: ${line.trim()}`;
      if (FOREIGN_ABSOLUTE.some((re) => re.test(line))) found.push(at);
      for (const m of line.matchAll(RELATIVE_UP)) {
        const target = resolve(fileDir, m[0]);
        const inside = relative(ROOT, target);
        const leaves = inside === '..' || inside.startsWith(`..${sep}`);
        if (leaves && !TRAVERSAL_TARGETS.has(m[1] as string)) found.push(at);
      }
    });
  }
  return found;
}

describe('a clone of the repository is self-contained', () => {
  it('no file names a path outside the repository (an absolute workstation path or a ../ that leaves it)', () => {
    expect(pathsOutsideRepo()).toEqual([]);
  });

  it('the HumanEval problems ship in the repository with their licence', () => {
    const files = projectFiles();
    expect(files).toContain('datasets/humaneval/HumanEval.jsonl.gz');
    expect(files).toContain('datasets/humaneval/LICENSE');
    expect(readText('datasets/humaneval/LICENSE')).toMatch(/MIT License[\s\S]*Copyright \(c\) OpenAI/);
  });
});
