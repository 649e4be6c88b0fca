import type { ReferenceFacts } from '@gavel/core';

/**
 * SQuAD v1.1 answer normalisation: lower-case, drop punctuation, drop the articles
 * a/an/the, collapse whitespace (as in the official evaluate-v1.1.py).
 */
export function normalizeAnswer(text: string): string {
  const noPunctuation = text.toLowerCase().replace(PUNCTUATION, '');
  const noArticles = noPunctuation.replace(/\b(a|an|the)\b/g, ' ');
  return noArticles.split(/\s+/).filter(Boolean).join(' ');
}

// Python's string.punctuation, which the official script removes (ASCII only, one character each).
const PUNCTUATION = /[!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]/g;

export function exactMatch(prediction: string, reference: string): boolean {
  return normalizeAnswer(prediction) === normalizeAnswer(reference);
}

/** Token-overlap F1 over normalised tokens (multiset intersection), as SQuAD v1.1 computes it. */
export function tokenF1(prediction: string, reference: string): number {
  return normalizedTokenF1(normalizeAnswer(prediction), normalizeAnswer(reference));
}

/** {@link tokenF1} of two already normalised answers. */
function normalizedTokenF1(prediction: string, reference: string): number {
  const predicted = prediction.split(' ').filter(Boolean);
  const expected = reference.split(' ').filter(Boolean);
  if (predicted.length === 0 || expected.length === 0) return predicted.length === expected.length ? 1 : 0;
  const counts = new Map<string, number>();
  for (const token of expected) counts.set(token, (counts.get(token) ?? 0) + 1);
  let common = 0;
  for (const token of predicted) {
    const left = counts.get(token) ?? 0;
    if (left > 0) {
      common += 1;
      counts.set(token, left - 1);
    }
  }
  if (common === 0) return 0;
  const precision = common / predicted.length;
  const recall = common / expected.length;
  return (2 * precision * recall) / (precision + recall);
}

/** Exact match and F1, each the max over the references (a string or a list). */
export function referenceFacts(output: string, reference: string | readonly string[]): ReferenceFacts {
  const references = typeof reference === 'string' ? [reference] : reference;
  // The output is normalised once, each reference once (as exactMatch and tokenF1 would, each time).
  const prediction = normalizeAnswer(output);
  let em = false;
  let f1 = 0;
  for (const ref of references) {
    const expected = normalizeAnswer(ref);
    em ||= prediction === expected;
    f1 = Math.max(f1, normalizedTokenF1(prediction, expected));
  }
  return { exact_match: em, f1, references: references.length };
}
