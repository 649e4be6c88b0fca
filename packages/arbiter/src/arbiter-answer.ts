import { GraderAnswer } from '@gavel/core';

export type ParsedAnswer = { ok: true; answer: GraderAnswer } | { ok: false; reason: string };

/** Validates an arbiter's text answer against {@link GraderAnswer} (a ```json fence is tolerated). */
export function parseArbiterAnswer(text: string): ParsedAnswer {
  const trimmed = text
    .trim()
    .replace(/^```(?:json)?\s*/i, '')
    .replace(/\s*```$/, '');
  let raw: unknown;
  try {
    raw = JSON.parse(trimmed);
  } catch {
    return { ok: false, reason: `answer is not JSON: ${JSON.stringify(text.slice(0, 200))}` };
  }
  const result = GraderAnswer.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0];
    return {
      ok: false,
      reason: `answer does not match the verdict schema at ${issue?.path.join('.') || '(root)'}: ${issue?.message}`,
    };
  }
  return { ok: true, answer: result.data };
}
