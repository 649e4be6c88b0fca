import { type DatasetFile, readDatasetFile, Sample } from '@gavel/core';
import { CliError } from '../../cli-error.ts';

/** One line of a calibration or adversarial file: a native sample with its label or attack name. */
export interface LabelledSample {
  sample: Sample;
  /**
   * Pointwise: `good` | `bad` in a calibration file; adversarial samples are all bad. Pair samples:
   * the better side, `a` | `b`, in both files (in an attack pair the other side carries the bait).
   */
  label: 'good' | 'bad' | 'a' | 'b';
  /** The attack's name (adversarial files). */
  attack?: string;
  file: string;
  line: number;
}

/**
 * Reads a calibration (`"label": "good" | "bad"` on every line; `"a" | "b"`, the better side, on a
 * pair line) or adversarial (`"attack": NAME`, and on a pair line `"label": "a" | "b"`) JSONL file. Each line is a native gavel sample plus that field; the sample id gets `prefix` so
 * calibration and adversarial ids never collide. Every bad line is named (file:line: field: why).
 */
export async function readLabelledSamples(
  path: string,
  role: 'calibration' | 'adversarial',
  prefix: string,
): Promise<{ file: DatasetFile; samples: LabelledSample[] }> {
  let file: DatasetFile;
  try {
    file = await readDatasetFile(path);
  } catch {
    throw new CliError(`gavel rubric: cannot read ${role} file ${path}`, 1);
  }
  const samples: LabelledSample[] = [];
  const errors: string[] = [];
  const seen = new Set<string>();
  file.text.split('\n').forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === '') return;
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch (error) {
      errors.push(`${path}:${line}: not valid JSON (${(error as Error).message})`);
      return;
    }
    if (typeof json !== 'object' || json === null || Array.isArray(json)) {
      errors.push(`${path}:${line}: a line is one JSON object`);
      return;
    }
    const { label, attack, ...rest } = json as Record<string, unknown>;
    const pair = rest.kind === 'pair';
    if (pair && label !== 'a' && label !== 'b') {
      errors.push(`${path}:${line}: label: a pair's label is its better side, "a" or "b"`);
      return;
    }
    if (!pair && role === 'calibration' && label !== 'good' && label !== 'bad') {
      errors.push(`${path}:${line}: label: must be "good" or "bad"`);
      return;
    }
    if (role === 'adversarial' && (typeof attack !== 'string' || attack === '')) {
      errors.push(`${path}:${line}: attack: name the attack (a string)`);
      return;
    }
    const parsed = Sample.safeParse({ ...rest, id: `${prefix}${String(rest.id ?? '')}` });
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      errors.push(`${path}:${line}: ${issue?.path.join('.') || '(sample)'}: ${issue?.message}`);
      return;
    }
    if (seen.has(parsed.data.id)) {
      errors.push(`${path}:${line}: id: duplicate id "${rest.id}"`);
      return;
    }
    seen.add(parsed.data.id);
    samples.push({
      sample: parsed.data,
      label: pair ? (label as 'a' | 'b') : role === 'adversarial' ? 'bad' : (label as 'good' | 'bad'),
      ...(typeof attack === 'string' ? { attack } : {}),
      file: path,
      line,
    });
  });
  if (errors.length > 0) {
    throw new CliError(
      `${errors.slice(0, 20).join('\n')}${errors.length > 20 ? `\n… and ${errors.length - 20} more` : ''}`,
      1,
    );
  }
  if (samples.length === 0) throw new CliError(`gavel rubric: ${role} file ${path} holds no sample`, 1);
  return { file, samples };
}
