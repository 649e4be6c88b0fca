import {
  type Content,
  type Facts,
  type ImageMediaType,
  InputError,
  isStoredImage,
  type PairSample,
  type PairSide,
  type Verdict,
} from '@gavel/core';

/** A user content block of a Messages request: text, or an image as a base64 source. */
export type ArbiterContentBlock =
  | { type: 'text'; text: string }
  | { type: 'image'; source: { type: 'base64'; media_type: ImageMediaType; data: string } };

type Segment = string | Extract<ArbiterContentBlock, { type: 'image' }>;

function segments(content: Content, images: ReadonlyMap<string, Buffer>, sampleId: string): Segment[] {
  if (typeof content === 'string') return [content];
  return content.map((part): Segment => {
    if (part.type === 'text') return part.text;
    if (part.type === 'json') return ['```json', JSON.stringify(part.data), '```'].join('\n');
    if (part.type === 'csv') return ['```csv', part.data.replace(/\n$/, ''), '```'].join('\n');
    const bytes = isStoredImage(part) ? images.get(part.sha256) : undefined;
    if (!isStoredImage(part) || !bytes) {
      throw new InputError(`sample ${sampleId}: image ${part.sha256 ?? '(not stored)'} is not in the image store`);
    }
    return { type: 'image', source: { type: 'base64', media_type: part.media_type, data: bytes.toString('base64') } };
  });
}

/**
 * A routed pair as the arbiter reads it in one order: `first` is the side shown as output 1 (the
 * verdict tool's preference is read that way). Each output's facts, both of the judge's readings and
 * rationales (named by this request's positions), the task, the two outputs. The arbiter is asked
 * both orders, so its own position bias shows. A string when the pair is all text; blocks when it
 * shows images, each image an `image` block where it stands (the cached rubric stays in `system`, first).
 */
export function pairContent(
  sample: PairSample,
  facts: Facts | undefined,
  judgement: Verdict,
  reasons: string,
  images: ReadonlyMap<string, Buffer> = new Map(),
  first: PairSide = 'a',
): string | ArbiterContentBlock[] {
  const second: PairSide = first === 'a' ? 'b' : 'a';
  const position = (side: PairSide) => (side === first ? 'output 1' : 'output 2');
  const orders = judgement.pairwise?.orders ?? [];
  const all: Segment[] = [
    '## Facts',
    facts?.pair ? JSON.stringify({ output_1: facts.pair[first], output_2: facts.pair[second] }) : '(no facts recorded)',
    '',
    `## The judge's two readings (routed: ${reasons})`,
    ...orders.map(
      (o) =>
        `- shown ${position(o.first)} first: preferred ${o.preference === 'tie' ? 'neither (tie)' : position(o.preference)} (margin ${o.margin}): ${o.rationale}`,
    ),
    '',
    `## Task${sample.task_id ? ` (${sample.task_id})` : ''}`,
    ...segments(sample.prompt, images, sample.id),
    '',
    '## Output 1',
    ...segments(sample.outputs[first], images, sample.id),
    '',
    '## Output 2',
    ...segments(sample.outputs[second], images, sample.id),
    '',
    '## Your decision',
    "This is a pairwise comparison. Call the record_verdict tool once with your preference (output_1, output_2 or tie), its margin, each criterion's preference and finding, and your rationale.",
  ];
  if (all.every((s) => typeof s === 'string')) return all.join('\n');
  const blocks: ArbiterContentBlock[] = [];
  let text: string[] = [];
  const flush = () => {
    if (text.length > 0) blocks.push({ type: 'text', text: text.join('\n') });
    text = [];
  };
  for (const s of all) {
    if (typeof s === 'string') text.push(s);
    else {
      flush();
      blocks.push(s);
    }
  }
  flush();
  return blocks;
}
