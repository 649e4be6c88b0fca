import { setMaxListeners } from 'node:events';
import type { Facts, PairSample, PairSide, RoutingConfig, Verdict } from '@gavel/core';
import { type LoadedRubric, type PairwiseAnswer, pairwiseAnswerSchemaFor, parsePairwiseAnswer } from '@gavel/rubric';
import { type JudgeReply, judgeUsage } from './judge-backend.ts';
import { decidePair, orderJudgement, pairRationale } from './pairwise-outcome.ts';
import { buildPairPrompt, type ImageBytes } from './pairwise-prompt.ts';
import type { ChatMessage } from './prompt-layout.ts';
import { isCompressedPrecision } from './sut-precision.ts';

/** Reads one order's answer: the pairwise schema of the rubric, validated after every reply. */
export function pairReader(rubric: LoadedRubric) {
  const schema = pairwiseAnswerSchemaFor(rubric);
  return {
    schema,
    parse(raw: string): { ok: true; answer: PairwiseAnswer } | { ok: false; problem: string } {
      let json: unknown;
      try {
        json = JSON.parse(raw);
      } catch (error) {
        return { ok: false, problem: `not JSON (${(error as Error).message})` };
      }
      return parsePairwiseAnswer(json, rubric);
    },
  };
}

export interface PairGradeInput {
  sample: PairSample;
  facts: Facts;
  rubric: LoadedRubric;
  routing: RoutingConfig;
  judge: { model: string; family: string; path: string };
  /** The bytes of the images the pair shows, by sha256. */
  images?: ImageBytes;
}

/** Sends one order's prompt and returns its validated answer (server retries and re-asks inside). */
export type AskPair = (
  messages: ChatMessage[],
  signal: AbortSignal,
) => Promise<{ answer: PairwiseAnswer; reply: JudgeReply }>;

const ORDERS: readonly PairSide[] = ['a', 'b'];

/**
 * Judges a pair in both orders — exactly two requests, the outputs in opposite positions behind the
 * same rubric prefix — and decides the outcome ({@link decidePair}). The two go out together; a
 * failure of either fails the grade (it is retried or recorded, never turned into a tie).
 */
export async function gradePairBothOrders(input: PairGradeInput, ask: AskPair, signal: AbortSignal): Promise<Verdict> {
  const { sample, facts, rubric } = input;
  const group = new AbortController();
  const groupSignal = AbortSignal.any([signal, group.signal]);
  setMaxListeners(32, groupSignal);
  let answered: { answer: PairwiseAnswer; reply: JudgeReply }[];
  try {
    answered = await Promise.all(
      ORDERS.map((first) =>
        ask(buildPairPrompt(rubric, sample, facts, first, input.images), groupSignal).catch((error: unknown) => {
          group.abort(error);
          throw error;
        }),
      ),
    );
  } catch (error) {
    throw signal.aborted ? signal.reason : group.signal.aborted ? group.signal.reason : error;
  }
  const [aFirst, bFirst] = answered.map((a, i) => orderJudgement(a.answer, ORDERS[i] as PairSide)) as [
    ReturnType<typeof orderJudgement>,
    ReturnType<typeof orderJudgement>,
  ];
  const decision = decidePair(aFirst, bFirst, rubric, input.routing);
  const flags: string[] = [];
  if (isCompressedPrecision(sample.systems.a.precision) || isCompressedPrecision(sample.systems.b.precision))
    flags.push('sut_compressed');
  if (!decision.pairwise.consistent) flags.push('position_inconsistent');
  return {
    pass: decision.pairwise.outcome === 'b',
    score: decision.score,
    rationale: pairRationale(aFirst, bFirst, decision.pairwise.outcome),
    criteria: decision.criteria,
    source: 'judge',
    facts_only: false,
    route: decision.route,
    route_reasons: decision.reasons,
    arbitration: 'none',
    flags,
    grader: input.judge,
    consistency: null,
    arbiter: null,
    judge_verdict: null,
    usage: judgeUsage(answered.map((a) => a.reply)),
    pairwise: decision.pairwise,
    decided_at: new Date().toISOString(),
  };
}
