import type { Facts, PointwiseSample } from '@gavel/core';

/** Cosines of an output's embedding to other texts (`GAVEL_EMBEDDINGS_*`). */
export interface EmbeddingSimilarity {
  readonly model: string;
  /** The output's cosine to each of `others`, in their order. */
  similarities(output: string, others: readonly string[], signal: AbortSignal): Promise<number[]>;
}

/**
 * The reference facts with the embedding similarities added, when an embedding model is configured:
 * `embedding_similarity`, the max cosine to the references, and with anchor answers each anchor's
 * cosine (`anchor_similarities`, in the sample's order) and their max (`anchor_similarity`). The
 * references and anchors are embedded in one gathering.
 */
export async function withEmbeddingSimilarity(
  facts: Facts,
  sample: PointwiseSample,
  embeddings: EmbeddingSimilarity | undefined,
  signal: AbortSignal,
): Promise<Facts> {
  if (!embeddings || !facts.reference || sample.reference === undefined) return facts;
  const references = typeof sample.reference === 'string' ? [sample.reference] : sample.reference;
  const anchors = sample.anchors ?? [];
  const cosines = await embeddings.similarities(sample.output, [...references, ...anchors], signal);
  const toReferences = cosines.slice(0, references.length);
  const toAnchors = cosines.slice(references.length);
  return {
    ...facts,
    reference: {
      ...facts.reference,
      embedding_similarity: Math.max(...toReferences),
      embedding_model: embeddings.model,
      ...(toAnchors.length > 0 ? { anchor_similarities: toAnchors, anchor_similarity: Math.max(...toAnchors) } : {}),
    },
  };
}
