import type { Verdict } from '@gavel/core';

/** How the judge's self-critique changed verdicts, and how the arbiter settled the flips. */
export interface CritiqueSummary {
  /** Judgements that went through a critique chain. */
  chains: number;
  /** Chains whose last pass's verdict differs from the original (`critique_flip`). */
  flipped: number;
  /** flipped / chains. */
  flip_rate: number | null;
  /** Chains where some pass changed the verdict or the score. */
  changed: number;
  change_rate: number | null;
  /** Flipped judgements the arbiter decided. */
  arbitrated_flips: number;
  /** Of those, the ones where the arbiter gave the revised verdict (the critique's). */
  arbiter_sided_with_revision: number;
  /** arbiter_sided_with_revision / arbitrated_flips. */
  revision_agreement: number | null;
}

/**
 * Pure: the critique figures of a run from each sample's judgement (the judge's verdict, whose
 * `critique` holds the chain and whose `pass` is the revision) and its final verdict.
 */
export function critiqueSummary(
  samples: Iterable<{ judgement?: Verdict | null; verdict?: Verdict | null }>,
): CritiqueSummary {
  let chains = 0;
  let flipped = 0;
  let changed = 0;
  let arbitrated = 0;
  let sided = 0;
  for (const { judgement, verdict } of samples) {
    const chain = judgement?.critique;
    if (!judgement || !chain) continue;
    chains += 1;
    if (chain.passes.some((p) => p.changed)) changed += 1;
    if (!chain.flipped) continue;
    flipped += 1;
    if (verdict?.source !== 'arbiter') continue;
    arbitrated += 1;
    if (verdict.pass === judgement.pass) sided += 1;
  }
  const rate = (n: number, d: number): number | null => (d === 0 ? null : n / d);
  return {
    chains,
    flipped,
    flip_rate: rate(flipped, chains),
    changed,
    change_rate: rate(changed, chains),
    arbitrated_flips: arbitrated,
    arbiter_sided_with_revision: sided,
    revision_agreement: rate(sided, arbitrated),
  };
}
