export { cosine, maxCosine } from './cosine.ts';
export type { Embedder, EmbedderOptions } from './embedder.ts';
export { createEmbedder, embeddingCacheKey } from './embedder.ts';
export type { EmbedFn } from './embeddings-client.ts';
export { createEmbeddingsClient } from './embeddings-client.ts';
export type { EmbeddingsConfig } from './embeddings-config.ts';
export { EmbeddingsEnv, loadEmbeddingsConfig } from './embeddings-config.ts';
