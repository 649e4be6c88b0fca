import { createHash } from 'node:crypto';
import { InputError, type RubricRef, SampleKind } from '@gavel/core';
import semver from 'semver';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

/** Facts a rubric criterion can be scored from in facts-only mode (0–1 each). */
export const FactMetric = z.enum([
  'reference.exact_match',
  'reference.f1',
  'reference.embedding_similarity',
  'tests.pass_rate',
  'tests.all_passed',
  'ruff.clean',
  'pyright.clean',
  'no_timeout',
  /** 1 when the program (pytest under the sandbox) exited 0 in time. */
  'exit.zero',
  /** 0 when the program writes out the answers to half or more of its test calls (facts.hardcoded_tests). */
  'integrity.no_hardcoded_tests',
]);
export type FactMetric = z.infer<typeof FactMetric>;

export const RubricCriterion = z
  .object({
    id: z.string().regex(/^[a-z][a-z0-9_]*$/, 'must be snake_case'),
    description: z.string().min(1),
    weight: z.number().min(0),
    /** A safety criterion: a finding on it routes the sample to the arbiter. */
    safety: z.boolean().default(false),
    /** The fact that scores this criterion in facts-only mode. */
    fact: FactMetric.optional(),
  })
  .strict();
export type RubricCriterion = z.infer<typeof RubricCriterion>;

export const RubricHeader = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'must be kebab-case'),
    version: z.string().refine((v) => semver.valid(v) === v, 'must be a semver version such as 1.2.0'),
    kind: SampleKind,
    title: z.string().optional(),
    pass_threshold: z.number().min(0).max(1),
    criteria: z.array(RubricCriterion).min(1),
  })
  .strict()
  .superRefine((h, ctx) => {
    const seen = new Set<string>();
    h.criteria.forEach((c, i) => {
      if (seen.has(c.id))
        ctx.addIssue({ code: 'custom', path: ['criteria', i, 'id'], message: `duplicate criterion "${c.id}"` });
      seen.add(c.id);
    });
    if (h.criteria.every((c) => c.weight === 0)) {
      ctx.addIssue({ code: 'custom', path: ['criteria'], message: 'at least one criterion needs a weight above 0' });
    }
  });
export type RubricHeader = z.infer<typeof RubricHeader>;

/**
 * A rubric as graders use it. `text` is the whole file, byte for byte: it is the first block of
 * every judge and arbiter request, and `ref.hash` is its sha256.
 */
export interface LoadedRubric extends RubricHeader {
  ref: RubricRef;
  text: string;
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

export function rubricKey(ref: Pick<RubricRef, 'id' | 'version'>): string {
  return `${ref.id}@${ref.version}`;
}

/** Parses a rubric file (YAML front matter between `---` lines, then the rubric text). */
export function parseRubric(text: string, source: string): LoadedRubric {
  const match = /^---\r?\n([\s\S]*?)\r?\n---\r?\n/.exec(text);
  if (!match?.[1]) throw new InputError(`${source}: a rubric starts with YAML front matter between "---" lines`);
  let raw: unknown;
  try {
    raw = parseYaml(match[1]);
  } catch (error) {
    throw new InputError(`${source}: front matter is not valid YAML: ${(error as Error).message}`);
  }
  const header = RubricHeader.safeParse(raw);
  if (!header.success) {
    const issue = header.error.issues[0];
    throw new InputError(`${source}: ${issue?.path.join('.') || 'front matter'}: ${issue?.message}`);
  }
  return {
    ...header.data,
    text,
    ref: { id: header.data.id, version: header.data.version, hash: sha256Hex(text) },
  };
}

/**
 * Asserts that `text` is exactly the pinned rubric (graders call this before every send, so a
 * rubric can never drift inside a run).
 */
export function assertRubricBytes(text: string, ref: RubricRef): void {
  const actual = sha256Hex(text);
  if (actual !== ref.hash) {
    throw new InputError(
      `rubric ${rubricKey(ref)}: content hash ${actual.slice(0, 12)}… does not match the pinned ${ref.hash.slice(0, 12)}…; a frozen rubric cannot change — bump its version`,
    );
  }
}
