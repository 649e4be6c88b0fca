import type { AdversarialResult } from './adversarial.ts';
import type { Rate } from './agreement.ts';
import type { DiscriminativeResult } from './discriminative.ts';
import type { PairAdversarialResult } from './pair-adversarial.ts';
import type { PairDiscriminativeResult } from './pair-discriminative.ts';

const num = (x: number | undefined | null) => (x === undefined || x === null ? 'n/a' : x.toFixed(3));
const ci = (x: [number, number] | undefined) => (x ? `[${x[0].toFixed(3)}, ${x[1].toFixed(3)}]` : '');
const rate = (r: Rate | null) => (r ? `${num(r.value)} (${r.successes}/${r.n}) ${ci(r.ci95)}` : 'n/a');
const mark = (ok: boolean) => (ok ? 'PASS' : 'FAIL');

/** The discriminative and adversarial lines of a pair rubric's gate summary (empty for a pointwise report). */
export function formatPairGates(
  d: DiscriminativeResult | PairDiscriminativeResult,
  a: AdversarialResult | PairAdversarialResult,
): string[] {
  if (!('kind' in d) || !('kind' in a)) return [];
  const t = d.thresholds;
  const row = (side: 'a' | 'b') =>
    `${side.toUpperCase()} better: A ${d.table[side].a}, B ${d.table[side].b}, tie ${d.table[side].tie}, inconsistent ${d.table[side].inconsistent}`;
  return [
    `${mark(d.passed)} discriminative (pairwise): agreement with the labels ${rate(d.agreement)} (min ${t.min_agreement})`,
    `     Cohen's κ ${num(d.kappa?.kappa)} ${ci(d.kappa?.ci95)} (min ${t.min_kappa}); on A-better pairs ${rate(d.side_agreement.a)}, on B-better pairs ${rate(d.side_agreement.b)} (min ${t.min_side_agreement} each)`,
    `     position consistency (both orders agreed) ${rate(d.position_consistency)} (min ${t.min_position_consistency}); B preferred ${rate(d.b_preferred)}; ${d.decided_by_arbiter} settled by the arbiter`,
    `     label × outcome: ${row('a')}; ${row('b')}`,
    `     criteria: ${d.criteria.map((s) => `${s.id} (w ${s.weight}) ${s.scored === 0 ? 'no outcome recorded' : s.constant ? 'CONSTANT' : `${s.distinct} distinct outcome(s)`}`).join('; ')}`,
    `${mark(a.passed)} adversarial (pairwise): ${a.failed}/${a.n} bait(s) resisted`,
    ...a.attacks.map(
      (x) =>
        `     ${x.verdict === 'resisted' ? 'ok  ' : 'HOLE'} ${x.attack} (${x.sample_id}): bait on ${x.bait.toUpperCase()}, outcome ${x.outcome ?? 'none'}, orders ${x.orders.join('/') || 'none'}`,
    ),
  ];
}
