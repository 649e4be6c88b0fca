import { z } from 'zod';

/** Deterministic reference metrics of a text sample (SQuAD v1.1 normalisation). */
export const ReferenceFacts = z.object({
  exact_match: z.boolean(),
  f1: z.number().min(0).max(1),
  references: z.number().int().nonnegative(),
  /**
   * Cosine similarity of the output's embedding to the nearest reference's (the max over the
   * references), from the embedding model named beside it; absent without GAVEL_EMBEDDINGS_URL.
   */
  embedding_similarity: z.number().min(-1).max(1).optional(),
  embedding_model: z.string().optional(),
  /** Cosine of the output's embedding to each of the sample's anchor answers, in their order (same model). */
  anchor_similarities: z.array(z.number().min(-1).max(1)).optional(),
  /** The highest of `anchor_similarities`. */
  anchor_similarity: z.number().min(-1).max(1).optional(),
});
export type ReferenceFacts = z.infer<typeof ReferenceFacts>;

export const TestOutcome = z.enum(['passed', 'failed', 'error', 'skipped']);
export type TestOutcome = z.infer<typeof TestOutcome>;

export const TestCase = z.object({
  name: z.string(),
  outcome: TestOutcome,
  message: z.string().optional(),
});
export type TestCase = z.infer<typeof TestCase>;

/** Per-test results from the pytest JUnit report: never inferred from an exit code. */
export const TestFacts = z.object({
  passed: z.number().int().nonnegative(),
  failed: z.number().int().nonnegative(),
  errors: z.number().int().nonnegative(),
  skipped: z.number().int().nonnegative(),
  /** Test cases the report lists. */
  total: z.number().int().nonnegative(),
  /** Test cases pytest collected. */
  collected: z.number().int().nonnegative(),
  /** Test cases the eval expects. */
  expected: z.number().int().nonnegative(),
  cases: z.array(TestCase),
});
export type TestFacts = z.infer<typeof TestFacts>;

export const Diagnostic = z.object({
  code: z.string(),
  message: z.string(),
  severity: z.enum(['error', 'warning', 'information']),
  line: z.number().int().optional(),
});
export type Diagnostic = z.infer<typeof Diagnostic>;

export const ToolFacts = z.object({
  version: z.string(),
  exit_code: z.number().int().nullable(),
  duration_ms: z.number().nonnegative(),
  errors: z.number().int().nonnegative(),
  warnings: z.number().int().nonnegative(),
  diagnostics: z.array(Diagnostic),
});
export type ToolFacts = z.infer<typeof ToolFacts>;

/** What is measured of one side of a pair: its length (length bias is reported) and reference metrics. */
export const PairSideFacts = z.object({
  chars: z.number().int().nonnegative(),
  words: z.number().int().nonnegative(),
  /** Image parts in the output. */
  images: z.number().int().nonnegative().optional(),
  /** Structured output: parse error, JSON Schema validity against the sample's `schema`, field match to the reference. */
  structured: z
    .object({
      parse_error: z.string().nullable(),
      schema_valid: z.boolean().nullable(),
      schema_errors: z.array(z.string()),
      field_match: z
        .object({
          matched: z.number().int().nonnegative(),
          total: z.number().int().nonnegative(),
          missing: z.array(z.string()),
          different: z.array(z.string()),
        })
        .nullable(),
    })
    .nullable()
    .optional(),
  /** Tabular output (a `csv` part): parse error, shape, header and cell match against a CSV or JSON-rows reference. */
  csv: z
    .object({
      parse_error: z.string().nullable(),
      rows: z.number().int().nonnegative(),
      columns: z.array(z.string()),
      header_match: z
        .object({
          matched: z.number().int().nonnegative(),
          total: z.number().int().nonnegative(),
          missing: z.array(z.string()),
          extra: z.array(z.string()),
        })
        .nullable(),
      field_match: z
        .object({
          matched: z.number().int().nonnegative(),
          total: z.number().int().nonnegative(),
          different: z.array(z.string()),
        })
        .nullable(),
    })
    .nullable()
    .optional(),
  /** This side's facts from its own run (a code pair built by `gavel ab`): tests, lint, type errors. */
  carried: z.record(z.string(), z.unknown()).nullable().optional(),
  reference: ReferenceFacts.nullable(),
});
export type PairSideFacts = z.infer<typeof PairSideFacts>;

/** The facts of one sample: what the sandbox stage measured, before any opinion. */
export const Facts = z.object({
  kind: z.enum(['text', 'code', 'pair']),
  /** Per side of a `pair` sample (absent on pointwise samples). */
  pair: z.object({ a: PairSideFacts, b: PairSideFacts }).optional(),
  /** Reference metrics (text samples with a reference); null when there is no reference. */
  reference: ReferenceFacts.nullable(),
  /** Test results (code samples); null when nothing was executed. */
  tests: TestFacts.nullable(),
  ruff: ToolFacts.nullable(),
  pyright: ToolFacts.nullable(),
  exit_code: z.number().int().nullable(),
  duration_ms: z.number().nonnegative(),
  timed_out: z.boolean(),
  oom_killed: z.boolean(),
  output_truncated: z.boolean(),
  /** Sample claims that the facts contradict (e.g. `tests_passed`). */
  fabricated_claim: z.array(z.string()),
  /**
   * Test calls whose distinctive literals the program writes out itself (answers hard-coded to the
   * test inputs): `covered` of `eligible` calls. Absent on facts recorded before it was measured.
   */
  hardcoded_tests: z
    .object({ eligible: z.number().int().nonnegative(), covered: z.number().int().nonnegative() })
    .nullable()
    .optional(),
  sandbox: z
    .object({
      image: z.string(),
      image_digest: z.string(),
      /** Where the sample's time went; analysis_queue: of analysis, the time queued behind other pyright batches or held while its batch gathered. */
      split_ms: z
        .object({ container: z.number(), analysis: z.number(), analysis_queue: z.number(), execution: z.number() })
        .partial()
        .optional(),
      /** The limits the sample ran under: the run's, each capped at the worker's own maximum. */
      limits: z
        .object({
          cpus: z.number(),
          memory_mib: z.number(),
          pids: z.number(),
          tmpfs_mib: z.number(),
          wall_s: z.number(),
          output_bytes: z.number(),
        })
        .optional(),
      /** Limits the run asked for above the worker's maximum (`GAVEL_SANDBOX_*` on the worker). */
      capped: z.array(z.object({ field: z.string(), asked: z.number(), applied: z.number() })).optional(),
    })
    .nullable(),
});
export type Facts = z.infer<typeof Facts>;
