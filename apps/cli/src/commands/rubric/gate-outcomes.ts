import type { PairSide } from '@gavel/core';
import type { ExportRecord } from '@gavel/report';
import {
  adversarialGate,
  DEFAULT_DISCRIMINATIVE,
  DEFAULT_PAIR_DISCRIMINATIVE,
  discriminativeGate,
  type GateReport,
  type LoadedRubric,
  pairAdversarialGate,
  pairDiscriminativeGate,
} from '@gavel/rubric';
import type { LabelledSample } from './labelled-samples.ts';

/** A sample's verdict in the calibration run, or why it has none. */
export function outcomeOf(record: ExportRecord | undefined) {
  if (!record) return { verdict: null, failure: 'not in the run' };
  if (record.verdict) return { verdict: record.verdict };
  return {
    verdict: null,
    failure: record.failure ? `${record.failure.stage}: ${record.failure.reason}` : record.status,
  };
}

/**
 * The discriminative and adversarial gates over the calibration run's records: pass/fail against
 * good/bad labels for a pointwise rubric; for a pair rubric, the outcome against the labelled
 * better side, and the attack pairs' bait never preferred.
 */
export function weighLabelledGates(
  rubric: LoadedRubric,
  calibration: readonly LabelledSample[],
  attacks: readonly LabelledSample[],
  byId: ReadonlyMap<string, ExportRecord>,
): Pick<GateReport['gates'], 'discriminative' | 'adversarial'> {
  if (rubric.kind === 'pair') {
    return {
      discriminative: pairDiscriminativeGate(
        calibration.map((s) => ({
          sample_id: s.sample.id,
          label: s.label as PairSide,
          ...outcomeOf(byId.get(s.sample.id)),
        })),
        rubric.criteria,
        DEFAULT_PAIR_DISCRIMINATIVE,
      ),
      adversarial: pairAdversarialGate(
        attacks.map((s) => ({
          sample_id: s.sample.id,
          attack: s.attack ?? 'unnamed',
          better: s.label as PairSide,
          ...outcomeOf(byId.get(s.sample.id)),
        })),
      ),
    };
  }
  return {
    discriminative: discriminativeGate(
      calibration.map((s) => ({
        sample_id: s.sample.id,
        label: s.label as 'good' | 'bad',
        ...outcomeOf(byId.get(s.sample.id)),
      })),
      rubric.criteria,
      DEFAULT_DISCRIMINATIVE,
    ),
    adversarial: adversarialGate(
      attacks.map((s) => ({
        sample_id: s.sample.id,
        attack: s.attack ?? 'unnamed',
        ...outcomeOf(byId.get(s.sample.id)),
      })),
    ),
  };
}
