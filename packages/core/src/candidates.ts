import { z } from 'zod';
import { Id } from './ids.ts';
import { type PointwiseSample, Sut } from './sample.ts';

/**
 * A `candidates` line: N outputs for one prompt, each written by its own system, for ranking and
 * best-of-n. At enqueue it becomes N pointwise samples of one task (`<id>-c1` … `<id>-cN`, task id
 * the line's `task_id` or its `id`), graded like any other; `gavel best-of-n` ranks them.
 */
export const CandidatesLine = z
  .object({
    id: Id.refine((id) => id.length <= 120, 'must leave room for the "-cN" suffix (at most 120 characters)'),
    kind: z.literal('candidates'),
    task_id: z.string().min(1).max(200).optional(),
    prompt: z.string(),
    candidates: z
      .array(z.object({ output: z.string(), sut: Sut }).strict())
      .min(2, 'at least two candidates')
      .max(100),
    reference: z.union([z.string(), z.array(z.string()).min(1)]).optional(),
    metadata: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();
export type CandidatesLine = z.infer<typeof CandidatesLine>;

/** Where a pointwise sample came from when a `candidates` line made it: the line's id and its position. */
export interface CandidateOrigin {
  set: string;
  index: number;
}

/** The pointwise samples of a `candidates` line, in its order. */
export function expandCandidates(line: CandidatesLine): PointwiseSample[] {
  return line.candidates.map((c, i) => ({
    id: `${line.id}-c${i + 1}`,
    kind: 'text',
    task_id: line.task_id ?? line.id,
    prompt: line.prompt,
    output: c.output,
    ...(line.reference !== undefined ? { reference: line.reference } : {}),
    sut: c.sut,
    metadata: { ...line.metadata, candidates: { set: line.id, index: i + 1 } satisfies CandidateOrigin },
  }));
}
