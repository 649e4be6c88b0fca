import { ConfigError, type Facts, type PointwiseSample, type SandboxRunConfig } from '@gavel/core';
import { addStageJob, type StageProcessor, type StageQueue } from '@gavel/queue';
import { SPAN_ATTR, sandboxOutcome, withSpan } from '@gavel/telemetry';
import { type EmbeddingSimilarity, withEmbeddingSimilarity } from './embedding-facts.ts';
import { hardcodedTests } from './hardcoded-tests.ts';
import { pairFacts } from './pair-facts.ts';
import { referenceFacts } from './reference-metrics.ts';

/** Runs a code sample in the sandbox and returns its facts. */
export type CodeFactsFn = (sample: PointwiseSample, limits: SandboxRunConfig, signal: AbortSignal) => Promise<Facts>;

/** Facts of a text sample: reference metrics when it has a reference; no container is started. */
export function textFacts(sample: PointwiseSample): Facts {
  const started = performance.now();
  const reference = sample.reference === undefined ? null : referenceFacts(sample.output, sample.reference);
  return {
    kind: 'text',
    reference,
    tests: null,
    ruff: null,
    pyright: null,
    exit_code: null,
    duration_ms: performance.now() - started,
    timed_out: false,
    oom_killed: false,
    output_truncated: false,
    fabricated_claim: sample.claims?.tests_passed !== undefined ? ['tests_passed (a text sample has no tests)'] : [],
    sandbox: null,
  };
}

export interface SandboxStageDeps {
  /** The code sandbox; absent when none is configured (`GAVEL_SANDBOX=none`). */
  codeFacts?: CodeFactsFn;
  /** Adds `reference.embedding_similarity` to a text sample's reference facts; absent without an embedding model. */
  embeddings?: EmbeddingSimilarity;
  judge: StageQueue;
}

/**
 * The sandbox stage: records each sample's facts once, then hands it to the judge. A sample
 * whose facts are already recorded (a retry, a crash after the write) is not run again.
 */
export function createSandboxStage(deps: SandboxStageDeps): StageProcessor {
  return async (payload, { store, signal, trace }) => {
    const { runId, sampleId } = payload;
    const [manifest, loaded] = await Promise.all([store.getManifest(runId), store.loadForStage(runId, sampleId)]);
    if (loaded.verdict) return;
    if (!loaded.facts) {
      const { sample } = loaded;
      let facts: Facts;
      if (sample.kind === 'pair') {
        facts = pairFacts(sample);
      } else if (sample.kind === 'text') {
        facts = await withEmbeddingSimilarity(textFacts(sample), sample, deps.embeddings, signal);
      } else if (deps.codeFacts) {
        const codeFacts = deps.codeFacts;
        facts = await withSpan(
          'gavel.sandbox.run',
          { [SPAN_ATTR.runId]: runId, [SPAN_ATTR.sampleId]: sampleId, [SPAN_ATTR.sampleKind]: sample.kind },
          async (span) => {
            const found = await codeFacts(sample, manifest.stages.sandbox, signal);
            span.setAttributes({
              [SPAN_ATTR.sandboxOutcome]: sandboxOutcome(found),
              [SPAN_ATTR.sandboxExitCode]: found.exit_code ?? -1,
              [SPAN_ATTR.sandboxTimedOut]: found.timed_out,
              [SPAN_ATTR.sandboxOomKilled]: found.oom_killed,
              ...(found.tests
                ? { [SPAN_ATTR.testsPassed]: found.tests.passed, [SPAN_ATTR.testsTotal]: found.tests.total }
                : {}),
              ...(found.sandbox
                ? {
                    [SPAN_ATTR.sandboxImage]: found.sandbox.image,
                    [SPAN_ATTR.sandboxImageDigest]: found.sandbox.image_digest,
                  }
                : {}),
            });
            return { ...found, hardcoded_tests: hardcodedTests(sample) };
          },
          { parent: trace },
        );
      } else {
        // This worker's configuration, not the sample: stop (the job goes back for a worker with a sandbox).
        throw new ConfigError(
          `code sample ${sampleId} of run ${runId}: no sandbox configured on this worker (set GAVEL_SANDBOX=docker and run infra/bootstrap to build the sandbox image)`,
        );
      }
      await store.putFacts(runId, sampleId, facts);
    }
    await addStageJob(deps.judge, payload, trace);
  };
}
