import type { PointwiseSample } from '@gavel/core';
import { pack } from 'tar-stream';
import { referenceTests } from './reference-tests.ts';

export interface Workspace {
  /** Files of the sample (solution.py and any extra files), relative paths. */
  solution: Record<string, string>;
  tests: { fileName: string; source: string };
  expected: number;
}

/** The workspace of a code sample: its program as solution.py, its extra files, the reference tests. */
export function sampleWorkspace(sample: PointwiseSample): Workspace {
  const ref = referenceTests(sample.tests ?? '', sample.expected_tests);
  const solution: Record<string, string> = { ...(sample.files ?? {}), 'solution.py': sample.output };
  if (!sample.tests)
    return { solution, tests: { fileName: ref.fileName, source: '' }, expected: sample.expected_tests ?? 0 };
  return { solution, tests: { fileName: ref.fileName, source: ref.source }, expected: ref.expected };
}

/** What the runner reads from meta.json: its time budget and the bounds of what it sends back. */
export interface RunnerMeta {
  timeout_s: number;
  output_bytes: number;
  report_bytes?: number;
  value_bytes?: number;
}

/** The tar stream the runner reads on stdin (after the key line): solution/…, tests/…, meta.json. */
export async function workspaceTar(ws: Workspace, meta: RunnerMeta): Promise<Buffer> {
  const p = pack();
  const chunks: Buffer[] = [];
  p.on('data', (c: unknown) => {
    chunks.push(c as Buffer);
  });
  const done = new Promise<void>((resolve, reject) => {
    p.on('end', resolve);
    p.on('error', reject);
  });
  const add = (name: string, body: string) =>
    new Promise<void>((resolve, reject) => {
      p.entry({ name, mode: 0o644, mtime: new Date(0), uid: 65534, gid: 65534 }, body, (err) =>
        err ? reject(err) : resolve(),
      );
    });
  for (const [path, body] of Object.entries(ws.solution)) await add(`solution/${path}`, body);
  if (ws.tests.source) await add(`tests/${ws.tests.fileName}`, ws.tests.source);
  await add('meta.json', JSON.stringify(meta));
  p.finalize();
  await done;
  return Buffer.concat(chunks);
}
