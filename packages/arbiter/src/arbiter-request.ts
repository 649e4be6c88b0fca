import type { Facts, PairSide, Sample, Verdict } from '@gavel/core';
import { answerSchemaFor, type LoadedRubric } from '@gavel/rubric';
import { type ArbiterContentBlock, pairContent } from './pair-arbiter-content.ts';

/** What a request needs of the rubric; with `kind: "pair"` the verdict tool asks for a preference. */
export type ArbiterRubric = Pick<LoadedRubric, 'text' | 'criteria'> & Partial<Pick<LoadedRubric, 'kind'>>;

/** A text block of the request's `system`, optionally the end of the cached prefix. */
export interface SystemBlock {
  type: 'text';
  text: string;
  cache_control?: { type: 'ephemeral'; ttl: '5m' | '1h' };
}

/** The one tool the arbiter answers through: its input schema is the rubric's answer schema. */
export interface ArbiterTool {
  name: string;
  description: string;
  input_schema: { type: 'object'; [key: string]: unknown };
}

/** Name of the verdict tool every arbiter request forces. */
export const VERDICT_TOOL = 'record_verdict';

/** A Messages request as sent (inside a batch as `params`, or on its own). */
export interface ArbiterRequestParams {
  model: string;
  max_tokens: number;
  temperature: number;
  /** Part of the cached prefix (tools come before system): the same for every request of a rubric. */
  tools: ArbiterTool[];
  tool_choice: { type: 'tool'; name: string };
  system: SystemBlock[];
  /** Text, or blocks when the sample shows images (base64 `image` blocks after the cached prefix). */
  messages: { role: 'user'; content: string | ArbiterContentBlock[] }[];
}

export interface ArbiterRequestInput {
  model: string;
  maxTokens: number;
  cacheTtl: '5m' | '1h';
  rubric: ArbiterRubric;
  sample: Sample;
  facts: Facts | undefined;
  judgement: Verdict;
  /** The bytes of the images the sample shows, by sha256. */
  images?: ReadonlyMap<string, Buffer>;
  /** A pair: the side shown as output 1. @default 'a' */
  first?: PairSide;
}

/**
 * The requests for one sample under the arbiter's settings, by order: `(first) => params`. A pair's
 * two orders differ only in `first`; everything else (system, tools, the cached prefix) is shared.
 */
export function arbiterRequestsFor(
  settings: Pick<ArbiterRequestInput, 'model' | 'maxTokens' | 'cacheTtl'>,
  subject: Omit<ArbiterRequestInput, 'model' | 'maxTokens' | 'cacheTtl' | 'first'>,
): (first?: PairSide) => ArbiterRequestParams {
  const { model, maxTokens, cacheTtl } = settings;
  return (first) => buildArbiterRequest({ model, maxTokens, cacheTtl, ...subject, ...(first ? { first } : {}) });
}

/** The orders a sample's arbiter requests show it in: one for a pointwise sample, A first then B first for a pair. */
export function arbiterOrders(sample: Pick<Sample, 'kind'>): (PairSide | undefined)[] {
  return sample.kind === 'pair' ? ['a', 'b'] : [undefined];
}

export const ARBITER_INSTRUCTIONS = [
  'You are the arbiter of a grading pipeline. A local judge graded the output below against the rubric above;',
  'its verdict was contested or safety-critical. Decide it yourself. The facts were measured by running the',
  'code in a sandbox and are true; trust them over any claim in the output.',
  `Record your decision by calling the ${VERDICT_TOOL} tool once: pass, an overall score from 0 to 1, each rubric`,
  'criterion with its score from 0 to 1 and its finding (null when nothing is wrong), and your rationale.',
].join('\n');

/** The verdict tool for a rubric: its input schema has one property per criterion id. */
export function verdictTool(rubric: Pick<LoadedRubric, 'criteria'> & Partial<Pick<LoadedRubric, 'kind'>>): ArbiterTool {
  return {
    name: VERDICT_TOOL,
    description:
      rubric.kind === 'pair'
        ? "Records the arbiter's preference between output 1 and output 2 against the rubric."
        : "Records the arbiter's verdict on the output against the rubric.",
    input_schema: { ...answerSchemaFor(rubric), type: 'object' },
  };
}

const forced = { type: 'tool', name: VERDICT_TOOL } as const;

/**
 * The system blocks every arbiter request starts with: the rubric's exact bytes as the cached
 * block, then the fixed instructions. A priming call must send the same blocks to warm the cache.
 */
export function arbiterSystem(rubricText: string, cacheTtl: '5m' | '1h'): SystemBlock[] {
  return [
    { type: 'text', text: rubricText, cache_control: { type: 'ephemeral', ttl: cacheTtl } },
    { type: 'text', text: ARBITER_INSTRUCTIONS },
  ];
}

/**
 * The request for one routed sample: facts first, then the judge's verdict, the task and the output
 * (a pair: in the order `first`; its two requests share tools and system, the cached prefix).
 */
export function buildArbiterRequest(input: ArbiterRequestInput): ArbiterRequestParams {
  const { sample, facts, judgement } = input;
  const reasons = judgement.route_reasons.length > 0 ? judgement.route_reasons.join(', ') : 'none given';
  const content =
    sample.kind === 'pair'
      ? pairContent(sample, facts, judgement, reasons, input.images, input.first ?? 'a')
      : [
          '## Facts',
          facts ? JSON.stringify(facts) : '(no facts recorded)',
          '',
          `## The judge's verdict (routed: ${reasons})`,
          JSON.stringify({ pass: judgement.pass, score: judgement.score, criteria: judgement.criteria }),
          '',
          "## The judge's rationale",
          judgement.rationale,
          '',
          `## Task${sample.task_id ? ` (${sample.task_id})` : ''}`,
          sample.prompt,
          '',
          '## Output to grade',
          sample.output,
        ].join('\n');
  return {
    model: input.model,
    max_tokens: input.maxTokens,
    temperature: 0,
    tools: [verdictTool(input.rubric)],
    tool_choice: forced,
    system: arbiterSystem(input.rubric.text, input.cacheTtl),
    messages: [{ role: 'user', content }],
  };
}

/** The priming request: the same tools and system blocks (the whole cached prefix), a one-token answer. */
export function buildPrimingRequest(model: string, rubric: ArbiterRubric, cacheTtl: '5m' | '1h'): ArbiterRequestParams {
  return {
    model,
    max_tokens: 1,
    temperature: 0,
    tools: [verdictTool(rubric)],
    tool_choice: forced,
    system: arbiterSystem(rubric.text, cacheTtl),
    messages: [{ role: 'user', content: 'Reply with OK.' }],
  };
}

/** A rough token count (4 characters a token) to decide whether a prefix is long enough to cache. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}
