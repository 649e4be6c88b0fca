/** Cosine similarity of two vectors of the same length: a·b / (|a| |b|); 0 when either is all zeros. */
export function cosine(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) throw new Error(`cosine: vectors of ${a.length} and ${b.length} dimensions`);
  let dot = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    dot += x * y;
    aa += x * x;
    bb += y * y;
  }
  if (aa === 0 || bb === 0) return 0;
  // Rounding can take |cos| a hair past 1.
  return Math.max(-1, Math.min(1, dot / Math.sqrt(aa * bb)));
}

/** The highest cosine of `vector` to any of `others` (the nearest reference). */
export function maxCosine(vector: readonly number[], others: readonly (readonly number[])[]): number {
  if (others.length === 0) throw new Error('maxCosine: no vectors to compare with');
  return Math.max(...others.map((o) => cosine(vector, o)));
}
