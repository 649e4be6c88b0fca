import { z } from 'zod';
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

export const SampleKind = z.enum(['text', 'code']);
export type SampleKind = z.infer<typeof SampleKind>;

/** A relative path inside the sandbox workspace: no absolute paths, no `..`. */
const WorkspacePath = z
  .string()
  .min(1)
  .max(200)
  .refine(
    (p) => !p.startsWith('/') && !p.split('/').includes('..') && !p.includes('\0'),
    'must be a relative path without ".."',
  );

/** One line of a native JSONL dataset. */
export const Sample = z
  .object({
    id: Id,
    kind: SampleKind,
    task_id: z.string().min(1).max(200).optional(),
    prompt: z.string(),
    output: z.string(),
    /** One reference answer or several (metrics take the max over them). */
    reference: z.union([z.string(), z.array(z.string()).min(1)]).optional(),
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
    if (s.kind === 'code' && s.language !== undefined && s.language.toLowerCase() !== 'python') {
      ctx.addIssue({
        code: 'custom',
        path: ['language'],
        message: `only "python" code is supported, got "${s.language}"`,
      });
    }
  });
export type Sample = z.infer<typeof Sample>;
