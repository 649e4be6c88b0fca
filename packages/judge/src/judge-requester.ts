import { type GraderAnswer, InputError, type Logger } from '@gavel/core';
import { answerSchemaFor, type LoadedRubric } from '@gavel/rubric';
import { SPAN_ATTR, withSpan } from '@gavel/telemetry';
import { parseGraderAnswer } from './answer-parser.ts';
import { promptFitProblem, truncationProblem } from './context-guard.ts';
import type { GradeInput } from './grader.ts';
import { InflightLimiter } from './inflight-limiter.ts';
import type { JudgeBackend, JudgeReply, PromptCount } from './judge-backend.ts';
import type { LlmJudgeSettings } from './judge-config.ts';
import type { ChatMessage } from './prompt-layout.ts';
import { withServerRetry } from './server-failure.ts';

/** One validated answer and the reply it came in (its usage is booked on the verdict). */
export interface Answered<T = GraderAnswer> {
  answer: T;
  reply: JudgeReply;
}

/** How one request's answer is read: its JSON schema, and the validator of the raw text. */
export interface AnswerReader<T> {
  schema: Record<string, unknown>;
  parse(raw: string): { ok: true; answer: T } | { ok: false; problem: string };
}

/** The settings a requester reads: which server and model, and how it retries. */
export type RequesterSettings = Pick<
  LlmJudgeSettings,
  'mode' | 'model' | 'maxOutputTokens' | 'invalidRetries' | 'waitMs'
>;

/** Sends judge requests to one server: counting, answering with re-asks, spans and retries inside. */
export interface JudgeRequester {
  readonly path: JudgeBackend['path'];
  /** Counts `messages` on the server's tokenizer and refuses a prompt that leaves no room to answer. */
  countFitting(messages: ChatMessage[], input: GradeInput, signal: AbortSignal, label?: string): Promise<PromptCount>;
  /** One answer at `temperature`/`seed`, asked again (up to the configured re-asks) until it validates. */
  answer<T = GraderAnswer>(
    messages: ChatMessage[],
    count: PromptCount,
    input: GradeInput,
    temperature: number,
    seed: number,
    signal: AbortSignal,
    reader?: AnswerReader<T>,
  ): Promise<Answered<T>>;
}

/**
 * Builds the request side of a judge over `backend`: generation requests share `limiter` (the
 * process-wide in-flight bound); counting a prompt is tokenizer work, not generation, so it gets
 * its own bound and never holds one of the generation slots that keep the server's batch full.
 */
export function createJudgeRequester(
  backend: JudgeBackend,
  config: RequesterSettings,
  limiter: InflightLimiter,
  log: Logger,
): JudgeRequester {
  // The answer schema comes from the rubric (one property per criterion id); one per rubric version.
  const schemas = new Map<string, Record<string, unknown>>();
  const schemaFor = (rubric: LoadedRubric): Record<string, unknown> => {
    let schema = schemas.get(rubric.ref.hash);
    if (!schema) {
      schema = answerSchemaFor(rubric);
      schemas.set(rubric.ref.hash, schema);
    }
    return schema;
  };
  const counter = new InflightLimiter(limiter.limit);
  const send = <T>(call: (signal: AbortSignal) => Promise<T>, signal: AbortSignal, slots = limiter): Promise<T> =>
    withServerRetry(() => slots.run(() => call(signal), signal), {
      signal,
      waitMs: config.waitMs,
      onRetry: (error, delayMs) => log.warn({ err: error, delayMs }, 'judge server unavailable: waiting'),
    });
  const graderReader = (rubric: LoadedRubric): AnswerReader<GraderAnswer> => ({
    schema: schemaFor(rubric),
    parse: (raw) => parseGraderAnswer(raw, rubric),
  });

  return {
    path: backend.path,

    async countFitting(messages, input, signal, label) {
      const count = await send((s) => backend.countPrompt(messages, s), signal, counter);
      const tooLong = promptFitProblem(count.tokens, config.maxOutputTokens, count.window);
      if (tooLong) {
        throw new InputError(
          `judge ${config.mode} ${config.model}: sample ${input.sample.id}${label ? ` (${label})` : ''}: ${tooLong}`,
        );
      }
      return count;
    },

    async answer<T = GraderAnswer>(
      messages: ChatMessage[],
      count: PromptCount,
      input: GradeInput,
      temperature: number,
      seed: number,
      signal: AbortSignal,
      reader: AnswerReader<T> = graderReader(input.rubric) as unknown as AnswerReader<T>,
    ): Promise<Answered<T>> {
      const problems: string[] = [];
      let lastRaw = '';
      for (let attempt = 0; attempt <= config.invalidRetries; attempt += 1) {
        // One span per HTTP request: each server retry and each re-ask is its own.
        const reply = await send(
          (s) =>
            withSpan(
              'gavel.judge.request',
              {
                [SPAN_ATTR.sampleId]: input.sample.id,
                [SPAN_ATTR.judgePath]: backend.path,
                [SPAN_ATTR.model]: config.model,
                [SPAN_ATTR.rubric]: `${input.rubric.ref.id}@${input.rubric.ref.version}`,
                [SPAN_ATTR.rubricHash]: input.rubric.ref.hash,
                [SPAN_ATTR.seed]: seed,
                [SPAN_ATTR.temperature]: temperature,
                [SPAN_ATTR.maxTokens]: config.maxOutputTokens,
                [SPAN_ATTR.judgeAttempt]: attempt,
              },
              async (span) => {
                const r = await backend.complete(
                  { messages, temperature, seed, maxOutputTokens: config.maxOutputTokens, schema: reader.schema },
                  s,
                );
                span.setAttributes({
                  [SPAN_ATTR.inputTokens]: r.promptTokens,
                  [SPAN_ATTR.outputTokens]: r.outputTokens,
                  [SPAN_ATTR.cacheReadTokens]: r.cachedTokens,
                  ...(r.finishReason ? { [SPAN_ATTR.finishReason]: r.finishReason } : {}),
                });
                return r;
              },
              { parent: input.trace },
            ),
          signal,
        );
        const cut = truncationProblem(count, reply.promptTokens, count.window, config.maxOutputTokens);
        if (cut) {
          throw new InputError(`judge ${config.mode} ${config.model}: sample ${input.sample.id}: ${cut}`);
        }
        const parsed = reader.parse(reply.content);
        if (parsed.ok) return { answer: parsed.answer, reply };
        lastRaw = reply.content;
        problems.push(
          `${parsed.problem}${reply.finishReason === 'length' ? ' (answer hit the output token limit)' : ''}`,
        );
        log.warn(
          { sampleId: input.sample.id, seed, attempt, problem: parsed.problem },
          'invalid judge answer: asking again',
        );
      }
      throw new InputError(
        `judge ${config.mode} ${config.model}: sample ${input.sample.id} (seed ${seed}): ${problems.length} answer(s) did not validate (${problems.join('; ')}); last raw answer: ${JSON.stringify(lastRaw.slice(0, 4000))}`,
      );
    },
  };
}
