/**
 * The fake judge the pairwise demo runs against. It decides from what the request legitimately
 * carries, as a vision-capable model would: for outputs with images it decodes the PNG bytes it was
 * sent and reads their lettering from the pixels (font.ts); a chart whose labels name something the
 * task does not ask for is mislabelled and loses. Structured outputs are compared by the facts'
 * field match against the reference; plain text by the facts' reference F1 (factsPolicy).
 */
import type { ReceivedImage } from '../fakes/fake-images.ts';
import {
  factsPolicy,
  isPairRequest,
  type JudgePolicy,
  pairAnswer,
  readFacts,
  readPairOutputs,
} from '../fakes/fake-judge-policy.ts';
import { readWords } from './font.ts';
import { decodePng } from './png.ts';

/** Words lettered in the output's images that the task's text does not contain. */
function strayLabels(output: string, images: readonly ReceivedImage[], task: string): string[] | undefined {
  const shown = [...output.matchAll(/<image ([0-9a-f]{64})>/g)].map((m) => images.find((i) => i.sha256 === m[1]));
  if (shown.length === 0) return undefined;
  const taskWords = new Set(task.toUpperCase().match(/[A-Z]+/g) ?? []);
  const stray: string[] = [];
  for (const image of shown) {
    if (image?.format !== 'png') return ['UNREADABLE'];
    stray.push(...readWords(decodePng(image.bytes)).filter((w) => !taskWords.has(w)));
  }
  return stray;
}

export function demoJudgePolicy(): JudgePolicy {
  const fallback = factsPolicy();
  return (request) => {
    const system = request.messages[0]?.content ?? '';
    const user = request.messages[1]?.content ?? '';
    if (!isPairRequest(user)) return fallback(request);
    const { first, second } = readPairOutputs(user);
    const task = /\n## Task\n\n([\s\S]*?)\n## (?:Reference answers|Output 1)\n/.exec(user)?.[1] ?? '';
    const images = request.images ?? [];
    const one = strayLabels(first, images, task);
    const two = strayLabels(second, images, task);
    if (one || two) {
      const a = one?.length ?? 1;
      const b = two?.length ?? 1;
      const preference = a < b ? 'output_1' : b < a ? 'output_2' : 'tie';
      return pairAnswer(
        system,
        preference,
        0.8,
        `Fake vision judge: labels not in the task — output 1: ${one?.join(', ') || 'none'}; output 2: ${two?.join(', ') || 'none'}.`,
      );
    }
    const facts = readFacts(user);
    const m1 = facts.output_1?.structured?.field_match;
    const m2 = facts.output_2?.structured?.field_match;
    if (m1 && m2) {
      const preference = m1.matched > m2.matched ? 'output_1' : m2.matched > m1.matched ? 'output_2' : 'tie';
      return pairAnswer(system, preference, 0.8, `Fake judge: fields matched ${m1.matched} against ${m2.matched}.`);
    }
    const f1 = facts.output_1?.reference?.f1 ?? 0;
    const f2 = facts.output_2?.reference?.f1 ?? 0;
    const preference = f1 > f2 ? 'output_1' : f2 > f1 ? 'output_2' : 'tie';
    return pairAnswer(system, preference, 0.8, `Fake judge: reference F1 ${f1} against ${f2}.`);
  };
}
