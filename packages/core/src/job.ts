import { z } from 'zod';
import { Id } from './ids.ts';

/** Every stage job carries only ids; the sample and its results live in the run store. */
export const SampleJob = z.object({ runId: Id, sampleId: Id }).strict();
export type SampleJob = z.infer<typeof SampleJob>;
