import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  formatDatasetError,
  parseHumanEvalProblems,
  parseHumanEvalSamples,
  parseNativeJsonl,
  readDatasetFile,
} from './dataset.ts';

const HUMANEVAL = join(import.meta.dirname, '../../../datasets/humaneval/HumanEval.jsonl.gz');
const sut = { model: 'acme-coder', family: 'acme' };

async function file(name: string, content: string | Buffer): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'gavel-dataset-'));
  const path = join(dir, name);
  await writeFile(path, content);
  return path;
}

describe('native JSONL', () => {
  it('reads gzip transparently and hashes the stored bytes', async () => {
    const line = JSON.stringify({ id: 'a', kind: 'text', prompt: 'p', output: 'o', sut });
    const plain = await readDatasetFile(await file('a.jsonl', `${line}\n`));
    const gz = await readDatasetFile(await file('a.jsonl.gz', gzipSync(`${line}\n`)));
    expect(gz.text).toBe(plain.text);
    expect(gz.sha256).not.toBe(plain.sha256);
    expect(parseNativeJsonl(gz).samples[0]?.id).toBe('a');
  });

  it('validates every line and reports file:line: field: message', async () => {
    const path = await file(
      'b.jsonl',
      [
        JSON.stringify({ id: 'ok', kind: 'text', prompt: 'p', output: 'o', reference: ['x', 'y'], sut }),
        '',
        JSON.stringify({ id: 'has:colon', kind: 'text', prompt: 'p', output: 'o', sut }),
        JSON.stringify({ id: 'c', kind: 'code', prompt: 'p', output: 'o', language: 'rust', sut }),
        JSON.stringify({ id: 'd', kind: 'text', prompt: 'p', output: 'o', sut, extra: 1 }),
        JSON.stringify({ id: 'e', kind: 'code', prompt: 'p', output: 'o', sut, files: { '../etc/passwd': 'x' } }),
      ].join('\n'),
    );
    const parsed = parseNativeJsonl(await readDatasetFile(path));
    expect(parsed.samples.map((s) => s.id)).toEqual(['ok']);
    const lines = parsed.errors.map(formatDatasetError);
    expect(lines[0]).toMatch(new RegExp(`^${path}:3: id: must be 1-128 characters`));
    expect(lines[1]).toBe(`${path}:4: language: only "python" code is supported, got "rust"`);
    expect(lines[2]).toMatch(new RegExp(`^${path}:5: \\(line\\): .*extra`));
    expect(lines[3]).toMatch(
      new RegExp(`^${path}:6: files\\.\\.\\./etc/passwd: Invalid key in record: must be a relative path without ".."$`),
    );
  });
});

describe("HumanEval's samples format", () => {
  it('builds prompt + completion and test + check(entry_point) from the real problems file', async () => {
    const problems = parseHumanEvalProblems(await readDatasetFile(HUMANEVAL));
    expect(problems.errors).toEqual([]);
    expect(problems.problems.size).toBe(164);
    const samples = await file(
      's.jsonl',
      [
        JSON.stringify({ task_id: 'HumanEval/0', completion: '    return False\n' }),
        JSON.stringify({ task_id: 'HumanEval/2', completion: '    return 0.0\n', sample_id: 'mine/2' }),
        JSON.stringify({ task_id: 'HumanEval/999', completion: '' }),
        JSON.stringify({ task_id: 'HumanEval/3' }),
      ].join('\n'),
    );
    const parsed = parseHumanEvalSamples(problems.problems, await readDatasetFile(samples), sut);
    expect(parsed.samples.map((s) => s.id)).toEqual(['HumanEval_0-1', 'mine_2']);
    const first = parsed.samples[0];
    const problem = problems.problems.get('HumanEval/0');
    expect(first?.output).toBe(`${problem?.prompt}    return False\n`);
    expect(first?.tests).toBe(`${problem?.test}\n\ncheck(has_close_elements)\n`);
    expect(first?.task_id).toBe('HumanEval/0');
    expect(parsed.errors.map(formatDatasetError)).toEqual([
      `${samples}:3: task_id: unknown task "HumanEval/999" (not in the problems file)`,
      `${samples}:4: completion: Invalid input: expected string, received undefined`,
    ]);
  });
});
