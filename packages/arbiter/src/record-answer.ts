import type Anthropic from '@anthropic-ai/sdk';
import { InputError } from '@gavel/core';
import type { RunStore } from '@gavel/queue';
import type { LoadedRubric } from '@gavel/rubric';
import { readToolAnswer } from './arbiter-answer.ts';
import type { ArbiterDeps } from './arbiter-deps.ts';
import { type ArbiterProvenance, arbiterVerdict } from './arbiter-verdict.ts';

/** The rubric a run pinned for a sample's kind. */
export async function rubricOf(
  deps: ArbiterDeps,
  store: RunStore,
  runId: string,
  sampleId: string,
): Promise<LoadedRubric> {
  const [manifest, sample] = await Promise.all([store.getManifest(runId), store.getSample(runId, sampleId)]);
  const ref = manifest.rubrics[sample.kind];
  if (!ref) throw new InputError(`run ${runId}: no rubric pinned for ${sample.kind} samples`);
  return deps.rubrics.get(ref);
}

/**
 * Records an arbiter answer (a Messages response) as the sample's final verdict when its verdict
 * tool call validates against the rubric's answer schema; otherwise says why not, recording nothing.
 */
export async function recordAnswer(
  deps: ArbiterDeps,
  store: RunStore,
  runId: string,
  sampleId: string,
  message: Pick<Anthropic.Messages.Message, 'content' | 'usage'>,
  provenance: ArbiterProvenance,
): Promise<{ ok: true } | { ok: false; reason: string }> {
  const rubric = await rubricOf(deps, store, runId, sampleId);
  const parsed = readToolAnswer(message.content as { type: string }[], rubric);
  if (!parsed.ok) return { ok: false, reason: `arbiter answer invalid: ${parsed.reason}` };
  const judgement = await store.getJudgement(runId, sampleId);
  if (!judgement) throw new InputError(`run ${runId}: sample ${sampleId} has an arbiter answer but no judgement`);
  const u = message.usage;
  const verdict = arbiterVerdict(
    judgement,
    parsed.answer,
    provenance,
    {
      input: u.input_tokens,
      output: u.output_tokens,
      cache_write: u.cache_creation_input_tokens ?? 0,
      cache_read: u.cache_read_input_tokens ?? 0,
    },
    new Date().toISOString(),
  );
  await store.putFinalVerdict(runId, sampleId, verdict);
  return { ok: true };
}
