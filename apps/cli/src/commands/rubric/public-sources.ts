import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { contaminationTokens, type PublicSource, TOKENIZER } from '@gavel/rubric';
import { z } from 'zod';
import { CliError } from '../../cli-error.ts';

/** A shipped public-source index (`rubrics/public/*.index.json.gz`): each task's token stream. */
export const PublicIndexFile = z.object({
  source: z.string(),
  tokenizer: z.literal(TOKENIZER),
  built_from: z.object({ path: z.string(), sha256: z.string() }),
  tasks: z.array(z.object({ id: z.string(), tokens: z.string() })),
});
export type PublicIndexFile = z.infer<typeof PublicIndexFile>;

/** Builds an index from HumanEval-style problems (prompt + canonical solution of each task). */
export function indexFromProblems(
  source: string,
  builtFrom: { path: string; sha256: string },
  problems: readonly { task_id: string; prompt: string; canonical_solution?: string }[],
): PublicIndexFile {
  return {
    source,
    tokenizer: TOKENIZER,
    built_from: builtFrom,
    tasks: problems.map((p) => ({
      id: p.task_id,
      tokens: contaminationTokens(`${p.prompt}\n${p.canonical_solution ?? ''}`).join(' '),
    })),
  };
}

function decode(bytes: Buffer): string {
  return (bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes).toString('utf8');
}

/**
 * A public source from a path: a gavel index (`*.index.json[.gz]`), or JSONL tasks with a `prompt`
 * (and optionally `canonical_solution`, `output` or `text`) per line, such as a benchmark's problems.
 */
export async function readPublicSource(path: string): Promise<PublicSource> {
  let text: string;
  try {
    text = decode(await readFile(path));
  } catch {
    throw new CliError(`gavel rubric: cannot read public source ${path}`, 1);
  }
  const trimmed = text.trimStart();
  if (trimmed.startsWith('{') && !trimmed.includes('\n{')) {
    const parsed = PublicIndexFile.safeParse(JSON.parse(text));
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new CliError(`${path}: ${issue?.path.join('.') || '(index)'}: ${issue?.message}`, 1);
    }
    return {
      name: parsed.data.source,
      tasks: parsed.data.tasks.map((t) => ({ id: t.id, tokens: t.tokens.split(' ').filter(Boolean) })),
    };
  }
  const tasks: PublicSource['tasks'] = [];
  text.split('\n').forEach((raw, i) => {
    if (raw.trim() === '') return;
    let row: Record<string, unknown>;
    try {
      row = JSON.parse(raw);
    } catch (error) {
      throw new CliError(`${path}:${i + 1}: not valid JSON (${(error as Error).message})`, 1);
    }
    const body = ['prompt', 'canonical_solution', 'output', 'text']
      .map((k) => row[k])
      .filter((v): v is string => typeof v === 'string')
      .join('\n');
    if (body === '') throw new CliError(`${path}:${i + 1}: prompt: a public task needs a prompt or text`, 1);
    tasks.push({ id: String(row.task_id ?? row.id ?? `line-${i + 1}`), tokens: contaminationTokens(body) });
  });
  return { name: path, tasks };
}

/** The eval tasks to check: `prompt` of each JSONL line (HumanEval problems or native samples). */
export async function readEvalTasks(path: string): Promise<{ task_id: string; text: string }[]> {
  let text: string;
  try {
    text = decode(await readFile(path));
  } catch {
    throw new CliError(`gavel rubric: cannot read eval file ${path}`, 1);
  }
  const tasks: { task_id: string; text: string }[] = [];
  const seen = new Set<string>();
  text.split('\n').forEach((raw, i) => {
    if (raw.trim() === '') return;
    let row: Record<string, unknown>;
    try {
      row = JSON.parse(raw);
    } catch (error) {
      throw new CliError(`${path}:${i + 1}: not valid JSON (${(error as Error).message})`, 1);
    }
    if (typeof row.prompt !== 'string') throw new CliError(`${path}:${i + 1}: prompt: must be a string`, 1);
    const id = String(row.task_id ?? row.id ?? `line-${i + 1}`);
    if (seen.has(id)) return;
    seen.add(id);
    tasks.push({ task_id: id, text: row.prompt });
  });
  return tasks;
}
