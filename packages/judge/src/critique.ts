import type { Critique, GraderAnswer } from '@gavel/core';
import type { ChatMessage } from './prompt-layout.ts';

/** What the judge is asked after its verdict, once per critique pass. */
export const CRITIQUE_INSTRUCTION =
  'Critique the verdict above before it is recorded: re-read the rubric, the facts and the output, and check the verdict, each criterion score and the rationale against them. If the verdict holds, answer it again unchanged; if anything is wrong, answer the corrected verdict. Answer with one JSON object in the same format.';

/**
 * The messages of one critique pass: the judge's own prompt (the same byte-identical rubric prefix,
 * so the server's prefix cache serves it), its last answer as it gave it (the assistant's turn),
 * then the request to confirm or revise it in the same structured format. Pure.
 */
export function critiqueMessages(prompt: readonly ChatMessage[], lastAnswer: string): ChatMessage[] {
  return [...prompt, { role: 'assistant', content: lastAnswer }, { role: 'user', content: CRITIQUE_INSTRUCTION }];
}

/**
 * The record of a critique chain: the original answer, then each pass, each marked `changed` when
 * its verdict or score differs from the answer it critiqued; `flipped` when the last pass's verdict
 * differs from the original's — a routing reason (`critique_flip`). `by` names who critiqued
 * (the judge itself, or the configured critic), recorded on every pass.
 */
export function critiqueRecord(
  original: GraderAnswer,
  passes: readonly GraderAnswer[],
  by?: { model: string; family: string; path: string },
): Critique {
  let previous = original;
  const recorded = passes.map((answer) => {
    const changed = answer.pass !== previous.pass || answer.score !== previous.score;
    previous = answer;
    return {
      pass: answer.pass,
      score: answer.score,
      rationale: answer.rationale,
      criteria: answer.criteria,
      changed,
      ...(by ? { by } : {}),
    };
  });
  const last = passes.at(-1) ?? original;
  return {
    original: {
      pass: original.pass,
      score: original.score,
      rationale: original.rationale,
      criteria: original.criteria,
    },
    passes: recorded,
    flipped: last.pass !== original.pass,
  };
}
