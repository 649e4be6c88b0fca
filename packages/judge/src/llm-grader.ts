import { setMaxListeners } from 'node:events';
import {
  ConfigError,
  type Critique,
  type GraderAnswer,
  InputError,
  type Logger,
  sampleSystems,
  silentLogger,
  type Verdict,
} from '@gavel/core';
import { answerSchemaFor } from '@gavel/rubric';
import { SPAN_ATTR, withSpan } from '@gavel/telemetry';
import { parseGraderAnswer } from './answer-parser.ts';
import { summariseConsistency } from './consistency.ts';
import { promptFitProblem, truncationProblem } from './context-guard.ts';
import { critiqueMessages, critiqueRecord } from './critique.ts';
import { factFlags } from './fact-flags.ts';
import { checkFamilyClash } from './family-clash.ts';
import type { GradeInput, Grader } from './grader.ts';
import { InflightLimiter } from './inflight-limiter.ts';
import type { JudgeBackend, JudgeReply, PromptCount } from './judge-backend.ts';
import type { LlmJudgeSettings } from './judge-config.ts';
import { createOllamaBackend } from './ollama-backend.ts';
import { gradePairBothOrders, pairReader } from './pairwise-grading.ts';
import { buildJudgePrompt, type ChatMessage } from './prompt-layout.ts';
import { route } from './routing.ts';
import { withServerRetry } from './server-failure.ts';
import { isCompressedPrecision } from './sut-precision.ts';
import { createVllmBackend } from './vllm-backend.ts';

/** An LLM grader; `limiter` is the process-wide bound on generation requests in flight (and its peak). */
export interface LlmGrader extends Grader {
  readonly limiter: InflightLimiter;
  /** The context window the server offered at start-up. */
  readonly contextWindow: number;
}

export interface LlmGraderOptions {
  /** Use this backend instead of one built from `config` (another server flavour). */
  backend?: JudgeBackend;
  /** Share one in-flight bound between several graders in a process. */
  limiter?: InflightLimiter;
}

interface Answered<T = GraderAnswer> {
  answer: T;
  reply: JudgeReply;
}

/** How one request's answer is read: its JSON schema, and the validator of the raw text. */
interface AnswerReader<T> {
  schema: Record<string, unknown>;
  parse(raw: string): { ok: true; answer: T } | { ok: false; problem: string };
}

/**
 * Builds the LLM judge: checks the server's effective context window first (refusing to start
 * below `GAVEL_JUDGE_CONTEXT`), then grades each sample with one primary answer (temperature 0,
 * fixed seed) and k extra samples, all sent concurrently under the process-wide in-flight bound.
 */
export async function createLlmGrader(
  config: LlmJudgeSettings,
  logger: Logger = silentLogger,
  options: LlmGraderOptions = {},
): Promise<LlmGrader> {
  const backend = options.backend ?? (config.mode === 'vllm' ? createVllmBackend(config) : createOllamaBackend(config));
  const limiter = options.limiter ?? new InflightLimiter(config.inflight);
  const log = logger.child({ judge: config.mode, model: config.model });
  const started = new AbortController();
  const contextWindow = await backend.checkContextWindow(started.signal);
  if (config.vision) await backend.checkVision(started.signal);
  log.info({ contextWindow, inflight: limiter.limit, url: config.url }, 'judge server checked');
  // The answer schema comes from the rubric (one property per criterion id); one per rubric version.
  const schemas = new Map<string, Record<string, unknown>>();
  const schemaFor = (rubric: GradeInput['rubric']): Record<string, unknown> => {
    let schema = schemas.get(rubric.ref.hash);
    if (!schema) {
      schema = answerSchemaFor(rubric);
      schemas.set(rubric.ref.hash, schema);
    }
    return schema;
  };

  // Counting a prompt is tokenizer work, not generation: it gets its own bound, so it never
  // holds one of the generation slots that keep the server's batch full.
  const counter = new InflightLimiter(limiter.limit);
  const send = <T>(call: (signal: AbortSignal) => Promise<T>, signal: AbortSignal, slots = limiter): Promise<T> =>
    withServerRetry(() => slots.run(() => call(signal), signal), {
      signal,
      waitMs: config.waitMs,
      onRetry: (error, delayMs) => log.warn({ err: error, delayMs }, 'judge server unavailable: waiting'),
    });

  const graderReader = (rubric: GradeInput['rubric']): AnswerReader<GraderAnswer> => ({
    schema: schemaFor(rubric),
    parse: (raw) => parseGraderAnswer(raw, rubric),
  });

  async function answerOnce<T = GraderAnswer>(
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
                {
                  messages,
                  temperature,
                  seed,
                  maxOutputTokens: config.maxOutputTokens,
                  schema: reader.schema,
                },
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
  }

  /**
   * The self-critique chain: `passes` times, the judge reads its own last answer behind the same
   * prompt (and rubric prefix) and confirms or revises it in the same structured format, at the
   * primary temperature and seed. Every pass is kept.
   */
  async function critiqueChain(
    prompt: ChatMessage[],
    first: Answered,
    passes: number,
    input: GradeInput,
    seed: number,
    signal: AbortSignal,
  ): Promise<{ passes: Answered[]; record: Critique | undefined }> {
    const done: Answered[] = [];
    let last = first.reply.content;
    for (let i = 0; i < passes; i += 1) {
      const messages = critiqueMessages(prompt, last);
      const count = await send((s) => backend.countPrompt(messages, s), signal, counter);
      const tooLong = promptFitProblem(count.tokens, config.maxOutputTokens, count.window);
      if (tooLong)
        throw new InputError(
          `judge ${config.mode} ${config.model}: sample ${input.sample.id} (critique ${i + 1}): ${tooLong}`,
        );
      const answered = await answerOnce(messages, count, input, 0, seed, signal);
      done.push(answered);
      last = answered.reply.content;
    }
    return {
      passes: done,
      record:
        done.length > 0
          ? critiqueRecord(
              first.answer,
              done.map((d) => d.answer),
            )
          : undefined,
    };
  }

  return {
    name: `${config.mode}:${config.model}`,
    limiter,
    contextWindow,

    async grade(input: GradeInput, signal: AbortSignal): Promise<Verdict> {
      const { sample, facts, rubric, manifest } = input;
      const run = manifest.stages.judge;
      for (const family of new Set([config.family, run.family])) {
        for (const sut of sampleSystems(sample)) {
          const clash = checkFamilyClash(family, sut);
          if (clash) throw new InputError(`run ${manifest.run_id}: sample ${sample.id}: ${clash}`);
        }
      }
      if (run.mode !== 'facts' && run.model !== null && run.model !== config.model) {
        throw new ConfigError(
          `run ${manifest.run_id} is pinned to judge model ${run.model}, this worker runs ${config.model}; start a worker with GAVEL_JUDGE_MODEL=${run.model} (the run's judge jobs wait in the queue)`,
        );
      }
      const pinned = run.mode === 'facts' ? undefined : run;
      const k = pinned?.k ?? config.k;
      const seed = pinned?.seed ?? config.seed;
      const temperatures = [
        pinned?.temperature ?? 0,
        ...Array.from({ length: k }, () => pinned?.k_temperature ?? config.kTemperature),
      ];
      const seeds = temperatures.map((_, i) => seed + i);

      if (sample.kind === 'pair') {
        if (input.images && input.images.size > 0 && !config.vision) {
          throw new ConfigError(
            `run ${manifest.run_id}: sample ${sample.id} shows images, and this judge worker was not started for images: start it with GAVEL_JUDGE_VISION=1 and a vision model (the run's judge jobs wait in the queue)`,
          );
        }
        // A pair is judged once in each order, both at the primary temperature and seed.
        return gradePairBothOrders(
          {
            sample,
            facts,
            rubric,
            routing: run.routing,
            judge: { model: config.model, family: config.family, path: backend.path },
            ...(input.images ? { images: input.images } : {}),
          },
          async (messages, s) => {
            const count = await send((c) => backend.countPrompt(messages, c), s, counter);
            const tooLong = promptFitProblem(count.tokens, config.maxOutputTokens, count.window);
            if (tooLong) throw new InputError(`judge ${config.mode} ${config.model}: sample ${sample.id}: ${tooLong}`);
            return answerOnce(messages, count, input, temperatures[0] ?? 0, seed, s, pairReader(rubric));
          },
          signal,
        );
      }

      const messages = buildJudgePrompt(rubric, sample, facts);
      const count = await send((s) => backend.countPrompt(messages, s), signal, counter);
      const tooLong = promptFitProblem(count.tokens, config.maxOutputTokens, count.window);
      if (tooLong) throw new InputError(`judge ${config.mode} ${config.model}: sample ${sample.id}: ${tooLong}`);

      // One sample's requests go out together; the first failure cancels the others.
      const group = new AbortController();
      const groupSignal = AbortSignal.any([signal, group.signal]);
      // Each of the k+1 requests listens on it (limiter, backoff, fetch).
      setMaxListeners(8 * temperatures.length + 16, groupSignal);
      let answered: Answered[];
      try {
        answered = await Promise.all(
          temperatures.map((t, i) =>
            answerOnce(messages, count, input, t, seeds[i] ?? seed, groupSignal).catch((error: unknown) => {
              group.abort(error);
              throw error;
            }),
          ),
        );
      } catch (error) {
        throw signal.aborted ? signal.reason : group.signal.aborted ? group.signal.reason : error;
      }
      const critiques = pinned?.critique ?? config.critique ?? 0;
      const chain = await critiqueChain(messages, answered[0] as Answered, critiques, input, seed, signal);
      answered.push(...chain.passes);
      const answers = answered.slice(0, temperatures.length).map((a) => a.answer);
      const consistency = summariseConsistency(answers, seeds, temperatures);
      // The verdict is the critique chain's last answer; the extra samples still measure agreement.
      const primary = chain.passes.at(-1)?.answer ?? (answers[0] as GraderAnswer);
      const decision = route([primary, ...answers.slice(1)], facts, rubric, run.routing);
      if (chain.record?.flipped) decision.reasons.push('critique_flip');
      if (decision.reasons.length > 0) decision.route = 'arbiter';
      const flags: string[] = [];
      if (isCompressedPrecision(sample.sut.precision)) flags.push('sut_compressed');
      flags.push(...factFlags(facts));
      if (consistency.majority !== primary.pass) flags.push('majority_differs');
      return {
        pass: primary.pass,
        score: primary.score,
        rationale: primary.rationale,
        criteria: primary.criteria,
        source: 'judge',
        facts_only: false,
        route: decision.route,
        route_reasons: decision.reasons,
        arbitration: 'none',
        flags,
        grader: { model: config.model, family: config.family, path: backend.path },
        consistency,
        arbiter: null,
        judge_verdict: null,
        usage: {
          input: answered.reduce((s, a) => s + a.reply.promptTokens, 0),
          output: answered.reduce((s, a) => s + a.reply.outputTokens, 0),
          cache_write: 0,
          cache_read: answered.reduce((s, a) => s + a.reply.cachedTokens, 0),
        },
        ...(chain.record ? { critique: chain.record } : {}),
        decided_at: new Date().toISOString(),
      };
    },

    async close() {
      started.abort();
    },
  };
}
