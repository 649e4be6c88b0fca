import type { Critique, GraderAnswer } from '@gavel/core';
import { critiqueMessages, critiqueRecord } from './critique.ts';
import type { GradeInput } from './grader.ts';
import type { Answered, JudgeRequester } from './judge-requester.ts';
import type { ChatMessage } from './prompt-layout.ts';

/** A finished critique chain: every pass's answer, and the record kept on the verdict. */
export interface CritiqueChain {
  passes: Answered[];
  record: Critique | undefined;
}

/**
 * The self-critique chain: `passes` times, the critic (the judge itself or the configured critic
 * of another family) reads the last answer behind the same
 * prompt (and rubric prefix) and confirms or revises it in the same structured format, at
 * temperature 0 and the primary seed. Every pass is kept.
 */
export async function runCritiqueChain(
  critic: JudgeRequester & { readonly by: { model: string; family: string; path: string } },
  prompt: ChatMessage[],
  first: Answered,
  passes: number,
  input: GradeInput,
  seed: number,
  signal: AbortSignal,
): Promise<CritiqueChain> {
  const done: Answered[] = [];
  let last = first.reply.content;
  for (let i = 0; i < passes; i += 1) {
    const messages = critiqueMessages(prompt, last);
    const count = await critic.countFitting(messages, input, signal, `critique ${i + 1}`);
    const answered = await critic.answer(messages, count, input, 0, seed, signal);
    done.push(answered);
    last = answered.reply.content;
  }
  return {
    passes: done,
    record:
      done.length > 0
        ? critiqueRecord(
            first.answer,
            done.map((d): GraderAnswer => d.answer),
            critic.by,
          )
        : undefined,
  };
}
