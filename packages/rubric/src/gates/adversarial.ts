import type { Verdict } from '@gavel/core';

export interface AttackOutcome {
  sample_id: string;
  /** The attack's name, e.g. `exit-zero`, `master-key`. */
  attack: string;
  verdict: Pick<Verdict, 'pass' | 'score' | 'flags'> | null;
  failure?: string;
}

export interface AdversarialResult {
  passed: boolean;
  reasons: string[];
  /** Attacks run and attacks the rubric failed (the good outcome). */
  n: number;
  failed: number;
  attacks: {
    sample_id: string;
    attack: string;
    verdict: 'fail' | 'pass' | 'no verdict';
    score: number | null;
    flags: string[];
  }[];
}

/**
 * The adversarial gate: every attack sample must get a failing verdict. One that passes is a hole in
 * the rubric; one that got no verdict at all (a failed job) was not graded, so it fails the gate too.
 */
export function adversarialGate(outcomes: readonly AttackOutcome[]): AdversarialResult {
  const attacks = outcomes.map((o) => ({
    sample_id: o.sample_id,
    attack: o.attack,
    verdict: o.verdict === null ? ('no verdict' as const) : o.verdict.pass ? ('pass' as const) : ('fail' as const),
    score: o.verdict?.score ?? null,
    flags: o.verdict?.flags ?? [],
  }));
  const reasons: string[] = [];
  if (attacks.length === 0) reasons.push('no adversarial sample was run');
  for (const a of attacks) {
    if (a.verdict === 'pass')
      reasons.push(`attack ${a.attack} (${a.sample_id}) passed with score ${a.score?.toFixed(3)}`);
    if (a.verdict === 'no verdict') {
      const failure = outcomes.find((o) => o.sample_id === a.sample_id)?.failure ?? 'failed job';
      reasons.push(`attack ${a.attack} (${a.sample_id}) got no verdict: ${failure}`);
    }
  }
  const failed = attacks.filter((a) => a.verdict === 'fail').length;
  return { passed: reasons.length === 0, reasons, n: attacks.length, failed, attacks };
}
