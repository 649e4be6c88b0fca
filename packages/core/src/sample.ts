import { z } from 'zod';
import { Content } from './content.ts';
import { GenerationSlot } from './generation.ts';
import { Id } from './ids.ts';

/** The model (system under test) that produced a sample. */
export const Sut = z.object({
  model: z.string().min(1),
  family: z.string().min(1),
  /** Declared weight precision, e.g. `bf16`, `fp8`, `fp4`, `int4`. */
  precision: z.string().min(1).optional(),
});
export type Sut = z.infer<typeof Sut>;

/** What a sample claims about itself; compared with the facts (a mismatch is `fabricated_claim`). */
export const Claims = z
  .object({
    tests_passed: z.boolean().optional(),
    lint_clean: z.boolean().optional(),
    type_clean: z.boolean().optional(),
  })
  .strict();
export type Claims = z.infer<typeof Claims>;

/** `text` and `code` are graded pointwise; a `pair` is two outputs judged against each other. */
export const SampleKind = z.enum(['text', 'code', 'pair']);
export type SampleKind = z.infer<typeof SampleKind>;

export const PointwiseKind = z.enum(['text', 'code']);
export type PointwiseKind = z.infer<typeof PointwiseKind>;

/** The two sides of a pair: `a` is the baseline, `b` the candidate. */
export const PairSide = z.enum(['a', 'b']);
export type PairSide = z.infer<typeof PairSide>;

const Reference = z.union([z.string(), z.array(z.string()).min(1)]);

/** A relative path inside the sandbox workspace: no absolute paths, no `..`. */
const WorkspacePath = z
  .string()
  .min(1)
  .max(200)
  .refine(
    (p) => !p.startsWith('/') && !p.split('/').includes('..') && !p.includes('\0'),
    'must be a relative path without ".."',
  );

/** A pointwise line of a native JSONL dataset (`text` or `code`): one output graded on its own. */
export const PointwiseSample = z
  .object({
    id: Id,
    kind: PointwiseKind,
    task_id: z.string().min(1).max(200).optional(),
    prompt: z.string(),
    output: z.string(),
    /** One reference answer or several (metrics take the max over them). */
    reference: Reference.optional(),
    /**
     * Anchor answers of a text sample (`gavel enqueue --anchors` gives a whole dataset one set): with an
     * embedding model, the output's cosine to each is a fact beside the reference's.
     */
    anchors: z.array(z.string().min(1)).min(1).max(64).optional(),
    /** The eval's own tests (Python source) for a code sample. */
    tests: z.string().optional(),
    /** Number of test cases the eval expects to run (fewer reported is a fact). */
    expected_tests: z.number().int().positive().optional(),
    language: z.string().min(1).optional(),
    /** Extra workspace files for a code sample (path → content). */
    files: z.record(WorkspacePath, z.string()).optional(),
    claims: Claims.optional(),
    sut: Sut,
    /** Set when the system under test writes the output (`gavel enqueue --generate`): which of the n completions. */
    generation: GenerationSlot.optional(),
    metadata: z.record(z.string(), z.unknown()).optional(),
  })
  .strict()
  .superRefine((s, ctx) => {
    if (s.anchors !== undefined && s.kind !== 'text') {
      ctx.addIssue({
        code: 'custom',
        path: ['anchors'],
        message: 'anchor answers are compared with text outputs only',
      });
    } else if (s.anchors !== undefined && s.reference === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['anchors'],
        message: 'anchor answers are measured beside the reference: give the sample a reference too',
      });
    }
    if (s.kind === 'code' && s.language !== undefined && s.language.toLowerCase() !== 'python') {
      ctx.addIssue({
        code: 'custom',
        path: ['language'],
        message: `only "python" code is supported, got "${s.language}"`,
      });
    }
  });
export type PointwiseSample = z.infer<typeof PointwiseSample>;

/** The deterministic facts of a sample graded in another run, as a pair carries them (`gavel ab`). */
export const CarriedFacts = z
  .object({
    tests: z
      .object({
        passed: z.number().int().nonnegative(),
        total: z.number().int().nonnegative(),
        expected: z.number().int().nonnegative(),
      })
      .nullable(),
    ruff_errors: z.number().int().nonnegative().nullable(),
    pyright_errors: z.number().int().nonnegative().nullable(),
    timed_out: z.boolean(),
    oom_killed: z.boolean(),
    exit_code: z.number().int().nullable(),
    reference_f1: z.number().min(0).max(1).nullable(),
  })
  .strict();
export type CarriedFacts = z.infer<typeof CarriedFacts>;

/**
 * A `pair` line: one prompt, two outputs (`a` the baseline, `b` the candidate), each written by its
 * own system. The judge sees them in both orders; the outcome is `a`, `b`, `tie` or `inconsistent`.
 */
export const PairSample = z
  .object({
    id: Id,
    kind: z.literal('pair'),
    task_id: z.string().min(1).max(200).optional(),
    /** A string, or a list of parts: text, structured data (`json`), images. */
    prompt: Content,
    outputs: z.object({ a: Content, b: Content }).strict(),
    systems: z.object({ a: Sut, b: Sut }).strict(),
    reference: Reference.optional(),
    /** A JSON Schema both outputs' structured data must satisfy (checked as a fact, before any judge). */
    schema: z.record(z.string(), z.unknown()).optional(),
    /** Facts each side already has from its own run (`gavel ab` of code runs): shown to the judge beside the outputs. */
    carried_facts: z.object({ a: CarriedFacts.nullable(), b: CarriedFacts.nullable() }).strict().optional(),
    metadata: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();
export type PairSample = z.infer<typeof PairSample>;

/** One line of a native JSONL dataset, told apart by `kind`. */
export const Sample = z.discriminatedUnion('kind', [PointwiseSample, PairSample], {
  error: () =>
    `Invalid option: expected one of ${[...SampleKind.options, 'candidates'].map((k) => `"${k}"`).join('|')}`,
});
export type Sample = z.infer<typeof Sample>;

/** Every system whose output a sample holds (one for a pointwise sample, two for a pair). */
export function sampleSystems(sample: Sample): Sut[] {
  return sample.kind === 'pair' ? [sample.systems.a, sample.systems.b] : [sample.sut];
}

/** The system a record is filed under: a pointwise sample's SUT, a pair's candidate (`b`). */
export function primarySystem(sample: Sample): Sut {
  return sample.kind === 'pair' ? sample.systems.b : sample.sut;
}
