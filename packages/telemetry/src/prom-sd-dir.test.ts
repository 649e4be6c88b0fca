import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseSdFileName, registerSdTarget, sdFileName, staleSdFiles } from './prom-sd-dir.ts';

let dir = '';
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('file_sd registration, one file per process', () => {
  it('names a file by job, host and pid, and reads the name back', () => {
    const name = sdFileName({ job: 'gavel-worker-judge', hostname: 'gpu-1.lan', pid: 4242 });
    expect(name).toBe('gavel-worker-judge@gpu-1.lan@4242.json');
    expect(parseSdFileName(name)).toEqual({ job: 'gavel-worker-judge', hostname: 'gpu-1.lan', pid: 4242 });
    expect(parseSdFileName('targets.json')).toBeUndefined();
  });

  it("picks out this host's dead processes' files and unfinished writes, never another host's", () => {
    const names = [
      'a@h1@10.json',
      'b@h1@11.json',
      'c@h2@10.json',
      '.d@h1@12.json.0b8e6a2c-1d3f-4c55-9a7e-2f1e0c9d8b7a.tmp',
      'notes.txt',
    ];
    expect(staleSdFiles(names, 'h1', (pid) => pid === 11)).toEqual([
      'a@h1@10.json',
      '.d@h1@12.json.0b8e6a2c-1d3f-4c55-9a7e-2f1e0c9d8b7a.tmp',
    ]);
  });

  it('registers next to a dead process of this host (removing its file) and removes its own file once', async () => {
    dir = await mkdtemp(join(tmpdir(), 'gavel-sd-dir-'));
    await writeFile(join(dir, 'gavel-worker-judge@h1@999999.json'), '[]');
    await writeFile(join(dir, 'gavel-worker-judge@h2@999999.json'), '[]');
    const entry = { targets: ['127.0.0.1:9400'], labels: { job: 'gavel-worker-sandbox' } };
    const alive = (pid: number) => pid !== 999_999;
    const reg = await registerSdTarget(dir, entry, { hostname: 'h1', pid: 7, alive });
    expect((await readdir(dir)).sort()).toEqual([
      'gavel-worker-judge@h2@999999.json',
      'gavel-worker-sandbox@h1@7.json',
    ]);
    expect(JSON.parse(await readFile(reg.path, 'utf8'))).toEqual([entry]);
    await reg.remove();
    await reg.remove();
    expect(await readdir(dir)).toEqual(['gavel-worker-judge@h2@999999.json']);
  });
});
