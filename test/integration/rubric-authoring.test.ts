import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseRubric } from '@gavel/rubric';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeOllama, startFakeOllama } from '../fakes/ollama-server.ts';
import { gavel, ROOT } from '../support/gavel.ts';

// Authoring a rubric: `gavel rubric new/list/show/diff`, and `gavel rubric try` (one sample at once, no
// queue and no run; here on text samples: facts-only, then the LLM judge on an Ollama-shaped fake).

let dir: string;
let library: string;
let ollama: FakeOllama;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gavel-rubric-authoring-'));
  library = join(dir, 'rubrics');
  await cp(join(ROOT, 'rubrics'), library, { recursive: true });
  ollama = await startFakeOllama({ models: [{ name: 'design-judge' }], defaultContext: 4096 });
});

afterAll(async () => {
  await ollama?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const run = (args: string[], env: NodeJS.ProcessEnv = {}) => gavel(['rubric', ...args, '--rubrics-dir', library], env);

describe('gavel rubric new, list, show, diff', () => {
  it('new scaffolds a draft whose text is long enough to be cached (≥ 1024 tokens at 4 characters a token)', async () => {
    const r = await run(['new', 'essay-quality', '--kind', 'text']);
    expect(r.code, r.stderr).toBe(0);
    const path = join(library, 'essay-quality', '0.1.0.md');
    expect(r.stdout.trim()).toBe(path);
    const text = await readFile(path, 'utf8');
    const rubric = parseRubric(text, path);
    expect(rubric).toMatchObject({ id: 'essay-quality', version: '0.1.0', kind: 'text' });
    expect(rubric.criteria.map((c) => c.id)).toEqual(['correctness', 'exactness', 'faithfulness', 'safety']);
    expect(text.length).toBeGreaterThanOrEqual(4 * 1024);
    const again = await run(['new', 'essay-quality', '--kind', 'text']);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/exists; a draft is never overwritten/);
    const code = await run(['new', 'code-review', '--kind', 'code']);
    const codeText = await readFile(join(library, 'code-review', '0.1.0.md'), 'utf8');
    expect(code.code).toBe(0);
    expect(codeText.length).toBeGreaterThanOrEqual(4 * 1024);
    expect(parseRubric(codeText, 'x').criteria.find((c) => c.id === 'integrity')?.fact).toBe(
      'integrity.no_hardcoded_tests',
    );
  });

  it('new --from copies a rubric as the next minor version of the id', async () => {
    const r = await run(['new', 'text-answer', '--from', 'text-answer@1.0.0']);
    expect(r.code, r.stderr).toBe(0);
    const text = await readFile(join(library, 'text-answer', '1.1.0.md'), 'utf8');
    expect(text).toContain('version: 1.1.0');
    expect(text).toContain('(text-answer 1.1.0)');
  });

  it('list shows each version with its state, hash, gates and freeze date', async () => {
    const r = await run(['list', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const rows = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const lock = JSON.parse(await readFile(join(library, 'rubrics.lock.json'), 'utf8'));
    const byKey = new Map(rows.map((row) => [`${row.id}@${row.version}`, row]));
    expect(byKey.get('text-answer@1.0.0')).toMatchObject({
      state: 'frozen',
      sha256: lock['text-answer@1.0.0'].sha256,
      frozen_at: lock['text-answer@1.0.0'].frozen_at,
      gates: lock['text-answer@1.0.0'].gates,
    });
    expect(byKey.get('code-correctness@1.1.0')?.state).toBe('frozen');
    expect(byKey.get('code-correctness@1.0.0')).toMatchObject({
      state: 'draft',
      note: 'the lock entry records no gate report',
    });
    expect(byKey.get('text-answer@1.1.0')).toMatchObject({ state: 'draft', note: 'not in the lock file' });
    const text = await run(['list']);
    expect(text.stdout).toMatch(/^text-answer@1\.0\.0 +text +frozen +d38ef43baa8b /m);
  });

  it('show prints the file and its lock entry', async () => {
    const r = await run(['show', 'text-answer@1.0.0']);
    expect(r.code).toBe(0);
    expect(r.stdout.startsWith(await readFile(join(library, 'text-answer', '1.0.0.md'), 'utf8'))).toBe(true);
    expect(r.stdout).toMatch(/# lock entry: \{"sha256":"d38ef43b/);
  });

  it('diff names the changed threshold and criteria, then the text', async () => {
    const b = join(dir, 'b.md');
    const a = await readFile(join(library, 'text-answer', '1.0.0.md'), 'utf8');
    await writeFile(
      b,
      a
        .replace('pass_threshold: 0.6', 'pass_threshold: 0.7')
        .replace('    weight: 0.2\n    fact: reference.exact_match', '    weight: 0.1\n    fact: reference.exact_match')
        .replace('- Names: a surname alone', '- Units: an answer without its unit is 0.5.\n- Names: a surname alone'),
    );
    const r = await run(['diff', 'text-answer@1.0.0', b]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('~ pass_threshold: 0.6 → 0.7\n~ criterion exactness weight: 0.2 → 0.1\n');
    expect(r.stdout).toMatch(/^\+- Units: an answer without its unit is 0\.5\.$/m);
    expect((await run(['diff', 'text-answer@1.0.0', 'text-answer@1.0.0'])).stdout).toContain(
      '(criteria and front matter unchanged)\n(text unchanged)',
    );
  });
});

describe('gavel rubric try', () => {
  const sample = async (line: Record<string, unknown>) => {
    const path = join(dir, `try-${Math.random().toString(36).slice(2)}.jsonl`);
    await writeFile(path, `${JSON.stringify({ note: 'first line is not this one' })}\n${JSON.stringify(line)}\n`);
    return `${path}:2`;
  };
  const paris = {
    id: 's1',
    kind: 'text',
    prompt: 'What is the capital of France?',
    output: 'Paris',
    reference: ['Paris'],
    sut: { model: 'acme-7b', family: 'acme' },
    label: 'good',
  };

  it('grades one sample at once facts-only: facts, criterion scores, verdict, rationale', async () => {
    const r = await run(['try', 'text-answer@1.0.0', '--sample', await sample(paris)], { GAVEL_JUDGE: 'facts' });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/:2 · text-answer@1\.0\.0 \(frozen, sha256 d38ef43baa8b…\) · judge facts\n/);
    expect(r.stdout).toContain('facts: reference F1 1.000, exact true\n');
    expect(r.stdout).toMatch(/^ {2}correctness +1\.000$/m);
    expect(r.stdout).toMatch(/^verdict: PASS score 1\.000 \(threshold 0\.6\)$/m);
    const wrong = await run(['try', 'text-answer@1.0.0', '--sample', await sample({ ...paris, output: 'Lyon' })], {
      GAVEL_JUDGE: 'facts',
    });
    expect(wrong.stdout).toMatch(/^verdict: FAIL score 0\.000/m);
  });

  it('with the design-layer judge on Ollama: one chat, the draft rubric as the first block', async () => {
    const draft = join(dir, 'try-draft.md');
    await writeFile(draft, await readFile(join(library, 'text-answer', '1.0.0.md'), 'utf8'));
    const before = ollama.chats.length;
    const r = await run(['try', '--rubric-file', draft, '--sample', await sample(paris), '--json'], {
      GAVEL_JUDGE: 'ollama',
      GAVEL_JUDGE_URL: ollama.url,
      GAVEL_JUDGE_MODEL: 'design-judge',
      GAVEL_JUDGE_FAMILY: 'designfam',
      GAVEL_JUDGE_CONTEXT: '4096',
    });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.verdict).toMatchObject({ pass: true, source: 'judge', facts_only: false });
    expect(out.rubric).toMatchObject({ id: 'text-answer', state: 'draft' });
    expect(ollama.chats.length - before).toBe(1);
    const messages = ollama.chats.at(-1)?.body.messages as { content: string }[];
    expect(messages[0]?.content.startsWith(await readFile(draft, 'utf8'))).toBe(true);
  });

  it('names the line and field of a bad sample', async () => {
    const r = await run(['try', 'text-answer@1.0.0', '--sample', await sample({ ...paris, kind: 'essay' })]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/try-[a-z0-9]+\.jsonl:2: kind: /);
  });
});
