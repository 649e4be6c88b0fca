/**
 * n-gram contamination: how much of a task's text also appears, n tokens at a time, in a public
 * source. Tokens are lower-cased runs of letters, digits and underscores (punctuation and layout
 * ignored), so a copy survives reformatting but not renamed identifiers or new example values.
 */

/** How text becomes tokens; recorded in an index so a reader knows how it was built. */
export const TOKENIZER = 'lowercase-word-v1';

export function contaminationTokens(text: string): string[] {
  return text.toLowerCase().match(/[a-z0-9_]+/g) ?? [];
}

/** One public source: its tasks' token streams. */
export interface PublicSource {
  name: string;
  tasks: { id: string; tokens: string[] }[];
}

/** The n-grams of a public source, each mapped to the first task it came from. */
export interface NgramIndex {
  n: number;
  grams: Map<string, { source: string; task: string }>;
}

export function ngramIndex(sources: readonly PublicSource[], n: number): NgramIndex {
  const grams = new Map<string, { source: string; task: string }>();
  for (const source of sources) {
    for (const task of source.tasks) {
      for (let i = 0; i + n <= task.tokens.length; i++) {
        const gram = task.tokens.slice(i, i + n).join(' ');
        if (!grams.has(gram)) grams.set(gram, { source: source.name, task: task.id });
      }
    }
  }
  return { n, grams };
}

export interface Overlap {
  /** Share of the text's tokens inside at least one n-gram found in a public source (0–1). */
  overlap: number;
  tokens: number;
  /** The public task sharing the most n-grams, if any. */
  match: { source: string; task: string; ngrams: number } | null;
}

/**
 * The overlap of one text with an index: the share of its tokens covered by an n-gram that is also
 * in the index (the token-coverage measure of the Llama 2 contamination analysis), 0 for a text
 * shorter than n tokens.
 */
export function overlapWith(text: string, index: NgramIndex): Overlap {
  const tokens = contaminationTokens(text);
  const covered = new Uint8Array(tokens.length);
  const hits = new Map<string, { source: string; task: string; ngrams: number }>();
  for (let i = 0; i + index.n <= tokens.length; i++) {
    const found = index.grams.get(tokens.slice(i, i + index.n).join(' '));
    if (!found) continue;
    covered.fill(1, i, i + index.n);
    const key = `${found.source}\u0000${found.task}`;
    const hit = hits.get(key) ?? { ...found, ngrams: 0 };
    hit.ngrams += 1;
    hits.set(key, hit);
  }
  const match = [...hits.values()].sort((a, b) => b.ngrams - a.ngrams)[0] ?? null;
  const count = covered.reduce((s, c) => s + c, 0);
  return { overlap: tokens.length === 0 ? 0 : count / tokens.length, tokens: tokens.length, match };
}

export interface ContaminationTask {
  set: 'eval' | 'calibration' | 'rubric';
  task_id: string;
  text: string;
}

export interface ContaminationResult {
  passed: boolean;
  reasons: string[];
  n: number;
  threshold: number;
  sources: string[];
  checked: { eval: number; calibration: number; rubric: number };
  /** Every task at or over the threshold, in input order. */
  flagged: { set: ContaminationTask['set']; task_id: string; overlap: number; match: Overlap['match'] }[];
}

/**
 * The contamination gate. A task whose overlap reaches `threshold` is flagged public. The gate fails
 * while an eval task or the rubric's own text is flagged; calibration tasks are reported only (they
 * calibrate the rubric, they do not measure a model, and public labelled sets are what they are).
 */
export function contaminationGate(
  tasks: readonly ContaminationTask[],
  sources: readonly PublicSource[],
  options: { n: number; threshold: number },
): ContaminationResult {
  const index = ngramIndex(sources, options.n);
  const flagged: ContaminationResult['flagged'] = [];
  const checked = { eval: 0, calibration: 0, rubric: 0 };
  for (const task of tasks) {
    checked[task.set] += 1;
    const o = overlapWith(task.text, index);
    if (o.overlap >= options.threshold && o.tokens > 0) {
      flagged.push({ set: task.set, task_id: task.task_id, overlap: o.overlap, match: o.match });
    }
  }
  const reasons: string[] = [];
  const evalFlagged = flagged.filter((f) => f.set === 'eval');
  if (evalFlagged.length > 0) {
    const names = evalFlagged
      .slice(0, 5)
      .map((f) => `${f.task_id} (${(f.overlap * 100).toFixed(0)}% ~ ${f.match?.task})`);
    reasons.push(
      `${evalFlagged.length} eval task(s) overlap a public source at ≥ ${options.threshold} of their ${options.n}-grams: ${names.join(', ')}${evalFlagged.length > 5 ? ', …' : ''}; rebuild them with gavel rubric privatize`,
    );
  }
  if (flagged.some((f) => f.set === 'rubric')) reasons.push("the rubric's own text overlaps a public source");
  return {
    passed: reasons.length === 0,
    reasons,
    n: options.n,
    threshold: options.threshold,
    sources: sources.map((s) => s.name),
    checked,
    flagged,
  };
}
