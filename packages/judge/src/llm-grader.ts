import { setMaxListeners } from 'node:events';
import { ConfigError, type Logger, silentLogger, type Verdict } from '@gavel/core';
import { runCritiqueChain } from './critique-chain.ts';
import type { GradeInput, Grader } from './grader.ts';
import { InflightLimiter } from './inflight-limiter.ts';
import type { JudgeBackend } from './judge-backend.ts';
import type { LlmJudgeSettings } from './judge-config.ts';
import { type Answered, createJudgeRequester, type JudgeRequester } from './judge-requester.ts';
import { createOllamaBackend } from './ollama-backend.ts';
import { gradePairBothOrders, pairReader } from './pairwise-grading.ts';
import { pointwiseVerdict } from './pointwise-verdict.ts';
import { buildJudgePrompt } from './prompt-layout.ts';
import { checkRunPins } from './run-pins.ts';
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
  /** Use this backend for the configured critic instead of one built from `config.critic`. */
  criticBackend?: JudgeBackend;
  /** Share one in-flight bound between several graders in a process. */
  limiter?: InflightLimiter;
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
  const backendFor = (c: LlmJudgeSettings): JudgeBackend =>
    c.mode === 'vllm' ? createVllmBackend(c) : createOllamaBackend(c);
  const backend = options.backend ?? backendFor(config);
  const limiter = options.limiter ?? new InflightLimiter(config.inflight);
  const log = logger.child({ judge: config.mode, model: config.model });
  const started = new AbortController();
  const contextWindow = await backend.checkContextWindow(started.signal);
  if (config.vision) await backend.checkVision(started.signal);
  log.info({ contextWindow, inflight: limiter.limit, url: config.url }, 'judge server checked');
  const judge = createJudgeRequester(backend, config, limiter, log);
  const grader = { model: config.model, family: config.family, path: backend.path };
  const critic = await startCritic(config, log, started.signal, options.criticBackend, backendFor);
  const critiquer = critic ?? { ...judge, by: grader };

  return {
    name: `${config.mode}:${config.model}`,
    limiter,
    contextWindow,

    async grade(input: GradeInput, signal: AbortSignal): Promise<Verdict> {
      const { sample, facts, rubric, manifest } = input;
      checkRunPins(config, input);
      const run = manifest.stages.judge;
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
            judge: grader,
            ...(input.images ? { images: input.images } : {}),
          },
          async (messages, s) => {
            const count = await judge.countFitting(messages, input, s);
            return judge.answer(messages, count, input, temperatures[0] ?? 0, seed, s, pairReader(rubric));
          },
          signal,
        );
      }

      const messages = buildJudgePrompt(rubric, sample, facts);
      const count = await judge.countFitting(messages, input, signal);

      // One sample's requests go out together; the first failure cancels the others.
      const group = new AbortController();
      const groupSignal = AbortSignal.any([signal, group.signal]);
      // Each of the k+1 requests listens on it (limiter, backoff, fetch).
      setMaxListeners(8 * temperatures.length + 16, groupSignal);
      let answered: Answered[];
      try {
        answered = await Promise.all(
          temperatures.map((t, i) =>
            judge.answer(messages, count, input, t, seeds[i] ?? seed, groupSignal).catch((error: unknown) => {
              group.abort(error);
              throw error;
            }),
          ),
        );
      } catch (error) {
        throw signal.aborted ? signal.reason : group.signal.aborted ? group.signal.reason : error;
      }
      const critiques = pinned?.critique ?? config.critique ?? 0;
      const chain = await runCritiqueChain(
        critiquer,
        messages,
        answered[0] as Answered,
        critiques,
        input,
        seed,
        signal,
      );
      return pointwiseVerdict({
        sample,
        facts,
        rubric,
        routing: run.routing,
        answered,
        seeds,
        temperatures,
        chain,
        grader,
      });
    },

    async close() {
      started.abort();
    },
  };
}

/**
 * The configured critic of another family (GAVEL_CRITIC_*): its own server, checked at start-up like
 * the judge's (context window), with its own in-flight bound; undefined when the judge critiques itself.
 */
async function startCritic(
  config: LlmJudgeSettings,
  logger: Logger,
  signal: AbortSignal,
  given: JudgeBackend | undefined,
  backendFor: (c: LlmJudgeSettings) => JudgeBackend,
): Promise<(JudgeRequester & { by: { model: string; family: string; path: string } }) | undefined> {
  const c = config.critic;
  if (!c) return undefined;
  const settings: LlmJudgeSettings = { ...config, ...c, critic: undefined, vision: false };
  const backend = given ?? backendFor(settings);
  const log = logger.child({ critic: c.mode, criticModel: c.model });
  const contextWindow = await backend.checkContextWindow(signal);
  log.info({ contextWindow, url: c.url, family: c.family }, 'critic server checked');
  const requester = createJudgeRequester(backend, settings, new InflightLimiter(config.inflight), log);
  return { ...requester, by: { model: c.model, family: c.family, path: backend.path } };
}
