import type { Facts, GraderAnswer, PointwiseSample, RoutingConfig, Verdict } from '@gavel/core';
import type { LoadedRubric } from '@gavel/rubric';
import { summariseConsistency } from './consistency.ts';
import type { CritiqueChain } from './critique-chain.ts';
import { factFlags } from './fact-flags.ts';
import { judgeUsage } from './judge-backend.ts';
import type { Answered } from './judge-requester.ts';
import { route } from './routing.ts';
import { isCompressedPrecision } from './sut-precision.ts';

export interface PointwiseAnswers {
  sample: PointwiseSample;
  facts: Facts;
  rubric: LoadedRubric;
  routing: RoutingConfig;
  /** The primary answer then the k extra samples, in request order. */
  answered: Answered[];
  seeds: number[];
  temperatures: number[];
  chain: CritiqueChain;
  grader: Verdict['grader'];
}

/**
 * The verdict of a pointwise sample: the critique chain's last answer (or the primary one), routed
 * with the extra samples' agreement; a critique flip is a routing reason. Usage sums every request. Pure.
 */
export function pointwiseVerdict(a: PointwiseAnswers): Verdict {
  const all = [...a.answered, ...a.chain.passes];
  const answers = a.answered.map((x) => x.answer);
  const consistency = summariseConsistency(answers, a.seeds, a.temperatures);
  // The verdict is the critique chain's last answer; the extra samples still measure agreement.
  const primary = a.chain.passes.at(-1)?.answer ?? (answers[0] as GraderAnswer);
  const decision = route([primary, ...answers.slice(1)], a.facts, a.rubric, a.routing);
  if (a.chain.record?.flipped) decision.reasons.push('critique_flip');
  if (decision.reasons.length > 0) decision.route = 'arbiter';
  const flags: string[] = [];
  if (isCompressedPrecision(a.sample.sut.precision)) flags.push('sut_compressed');
  flags.push(...factFlags(a.facts));
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
    grader: a.grader,
    consistency,
    arbiter: null,
    judge_verdict: null,
    usage: judgeUsage(all.map((x) => x.reply)),
    ...(a.chain.record ? { critique: a.chain.record } : {}),
    decided_at: new Date().toISOString(),
  };
}
