import type { GraderAnswer, PairwiseVerdict, Verdict } from '@gavel/core';

export interface ArbiterProvenance {
  model: string;
  batch_id: string | null;
  custom_id: string;
  /** `anthropic-reask`: a batch answer did not validate and the sample was asked once more on its own. */
  path: 'anthropic-batch' | 'anthropic-reask' | 'openai-compatible';
}

/** The final verdict of an arbitrated sample: the arbiter's answer, the judge's verdict kept beside it. */
export function arbiterVerdict(
  judgement: Verdict,
  answer: GraderAnswer,
  provenance: ArbiterProvenance,
  usage: Verdict['usage'],
  decidedAt: string,
): Verdict {
  return {
    pass: answer.pass,
    score: answer.score,
    rationale: answer.rationale,
    criteria: answer.criteria,
    source: 'arbiter',
    facts_only: false,
    route: 'arbiter',
    route_reasons: judgement.route_reasons,
    arbitration: 'done',
    flags: judgement.flags,
    grader: judgement.grader,
    consistency: judgement.consistency,
    arbiter: provenance,
    judge_verdict: { pass: judgement.pass, score: judgement.score, rationale: judgement.rationale },
    usage,
    ...(judgement.pairwise ? { pairwise: arbitratedPair(judgement.pairwise, answer) } : {}),
    decided_at: decidedAt,
  };
}

/**
 * A pair settled by the arbiter: its answer was read with output 1 = A, so its score is B's share
 * (1 B, ½ tie, 0 A). The judge's two orders are kept; the outcome is the arbiter's.
 */
function arbitratedPair(judged: PairwiseVerdict, answer: GraderAnswer): PairwiseVerdict {
  const side = (score: number) => (score > 0.5 ? 'b' : score < 0.5 ? 'a' : 'tie') as 'a' | 'b' | 'tie';
  return {
    ...judged,
    outcome: side(answer.score),
    criteria: answer.criteria.map((c) => ({ id: c.id, outcome: side(c.score) })),
    decided_by: 'arbiter',
  };
}

/** With no arbiter configured, a routed sample keeps the judge's verdict, marked unarbitrated. */
export function unarbitratedVerdict(judgement: Verdict): Verdict {
  return { ...judgement, arbitration: 'unarbitrated' };
}
