/**
 * What the fake judge servers (vllm-server.ts, ollama-server.ts) share: a deterministic
 * tokenizer (the same count for `/tokenize`, `usage.prompt_tokens` and `prompt_eval_count`) and
 * answer policies. The default policy grades like a careful judge would: it reads the rubric's
 * criteria from the system message and the facts from the prompt, so its verdicts follow the
 * facts the grader sent.
 */
import type { ReceivedImage } from './fake-images.ts';

export interface FakeMessage {
  role: string;
  content: string;
}

export interface PolicyRequest {
  model: string;
  messages: FakeMessage[];
  temperature: number;
  seed: number | undefined;
  /** Which request this is on the server (0-based). */
  index: number;
  /** The images the request carried (decoded from the wire), each where its `<image sha256>` marker stands. */
  images?: readonly ReceivedImage[];
}

/**
 * Returns the raw answer text the model means (need not be valid JSON); a server asked for a JSON
 * schema answers under it (schema-decoding.ts), so what is sent conforms whatever this returns.
 */
export type JudgePolicy = (request: PolicyRequest) => string;

const TOKEN = /\w{1,4}|[^\w\s]|\s+/g;

/** Tokens of one text: runs of up to 4 word characters, single punctuation, whitespace runs. */
export function fakeTokenCount(text: string): number {
  return text.match(TOKEN)?.length ?? 0;
}

/** A chat prompt's tokens: 4 per message of template overhead, its content, 3 for the reply header. */
export function fakePromptTokens(messages: readonly FakeMessage[]): number {
  return messages.reduce((sum, m) => sum + 4 + fakeTokenCount(m.content), 0) + 3;
}

interface RubricCriterion {
  id: string;
  weight: number;
  safety: boolean;
  fact: string | undefined;
}

/** Reads `pass_threshold` and the criteria from a rubric's YAML front matter. */
export function readRubric(system: string): { threshold: number; criteria: RubricCriterion[] } {
  const front = /^---\n([\s\S]*?)\n---\n/.exec(system)?.[1] ?? '';
  const threshold = Number(/pass_threshold:\s*([\d.]+)/.exec(front)?.[1] ?? '0.5');
  const criteria: RubricCriterion[] = [];
  for (const block of front.split(/\n\s*- id: /).slice(1)) {
    const id = block.split('\n')[0]?.trim() ?? '';
    criteria.push({
      id,
      weight: Number(/weight:\s*([\d.]+)/.exec(block)?.[1] ?? '0'),
      safety: /safety:\s*true/.test(block),
      fact: /fact:\s*([\w.]+)/.exec(block)?.[1],
    });
  }
  return { threshold, criteria };
}

/** The facts JSON the grader put in the prompt. */
// biome-ignore lint/suspicious/noExplicitAny: facts are read field by field, as a model would
export function readFacts(user: string): any {
  const json = /## Facts\n\n```json\n([\s\S]*?)\n```/.exec(user)?.[1];
  return json ? JSON.parse(json) : {};
}

// biome-ignore lint/suspicious/noExplicitAny: see readFacts
function factValue(fact: string | undefined, facts: any): number {
  switch (fact) {
    case 'reference.f1':
      return facts.reference?.f1 ?? 0;
    case 'reference.exact_match':
      return facts.reference?.exact_match ? 1 : 0;
    case 'tests.pass_rate':
    case 'tests.all_passed': {
      const t = facts.tests;
      if (!t) return 0;
      const rate = t.passed / Math.max(1, t.expected, t.total);
      return fact === 'tests.pass_rate' ? rate : Number(rate === 1);
    }
    case 'ruff.clean':
      return facts.ruff && facts.ruff.errors === 0 && facts.ruff.warnings === 0 ? 1 : 0;
    case 'pyright.clean':
      return facts.pyright && facts.pyright.errors === 0 ? 1 : 0;
    case 'exit.zero':
      return facts.exit_code === 0 && !facts.timed_out ? 1 : 0;
    case 'integrity.no_hardcoded_tests': {
      // A careful judge sees a lookup table of the test inputs in the code; the facts say as much.
      const h = facts.hardcoded_tests;
      return h && h.eligible >= 2 && h.covered * 2 >= h.eligible ? 0 : 1;
    }
    default:
      return 1;
  }
}

/** A small seeded PRNG (mulberry32), so sampled answers are reproducible per seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A 32-bit seed from a request's seed and its prompt (FNV-1a over the prompt). */
function flipSeed(seed: number, prompt: string): number {
  let h = 0x811c9dc5 ^ seed;
  for (let i = 0; i < prompt.length; i += 1) h = Math.imul(h ^ prompt.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/**
 * The default policy: scores every criterion from the facts in the prompt (criteria without a
 * fact score 1), the weighted mean against the rubric's threshold. With `flipRate`, a sample at
 * temperature > 0 flips its verdict with that probability (seeded by the request's seed and prompt), to exercise agreement.
 */
export function factsPolicy(options: { flipRate?: number } = {}): JudgePolicy {
  return (request) => {
    const system = request.messages[0]?.content ?? '';
    const user = request.messages[1]?.content ?? '';
    const facts = readFacts(user);
    if (isPairRequest(user)) {
      // A careful pairwise judge: the higher reference F1 wins, equal F1 is a tie.
      const one = facts.output_1?.reference?.f1 ?? 0;
      const two = facts.output_2?.reference?.f1 ?? 0;
      const preference = one > two ? 'output_1' : two > one ? 'output_2' : 'tie';
      return pairAnswer(system, preference, Math.abs(one - two), `Fake judge: reference F1 ${one} against ${two}.`);
    }
    const rubric = readRubric(system);
    const criteria = rubric.criteria.map((c) => {
      const score = factValue(c.fact, facts);
      return { id: c.id, score, finding: score < 1 ? `${c.id} below full marks by the facts` : null };
    });
    const weight = rubric.criteria.reduce((s, c) => s + c.weight, 0) || 1;
    const score = rubric.criteria.reduce((s, c, i) => s + c.weight * (criteria[i]?.score ?? 0), 0) / weight;
    const testsOk = !facts.tests || factValue('tests.all_passed', facts) === 1;
    // The rubrics say a finding on a safety criterion fails the sample, whatever the score.
    const safetyFinding = rubric.criteria.some((c, i) => c.safety && (criteria[i]?.score ?? 1) < 1);
    let pass = score >= rubric.threshold && testsOk && !safetyFinding;
    // Seeded by the request's seed and its prompt, as a sampled model's answer depends on both.
    if (
      request.temperature > 0 &&
      options.flipRate &&
      seededRandom(flipSeed(request.seed ?? 0, user))() < options.flipRate
    )
      pass = !pass;
    // The criteria as the request's answer schema has them: one entry per criterion id.
    return JSON.stringify({
      pass,
      score,
      criteria: Object.fromEntries(criteria.map(({ id, ...rest }) => [id, rest])),
      rationale: `Fake judge: weighted score ${score.toFixed(3)} from the facts.`,
    });
  };
}

/** Whether a request is one order of a pairwise comparison: its prompt holds output 1 and output 2. */
export function isPairRequest(user: string): boolean {
  return user.includes('\n<output_1>\n') && user.includes('\n<output_2>\n');
}

/** The two outputs of a pairwise request, in the positions the request showed them. */
export function readPairOutputs(user: string): { first: string; second: string } {
  const first = /\n<output_1>\n([\s\S]*?)\n<\/output_1>\n/.exec(user)?.[1] ?? '';
  const second = /\n<output_2>\n([\s\S]*?)\n<\/output_2>\n/.exec(user)?.[1] ?? '';
  return { first, second };
}

export type FakePosition = 'output_1' | 'output_2' | 'tie';

/** A pairwise answer for the rubric in the system message: the same preference on every criterion. */
export function pairAnswer(system: string, preference: FakePosition, margin: number, rationale: string): string {
  const rubric = readRubric(system);
  return JSON.stringify({
    preference,
    margin: preference === 'tie' ? 0 : margin,
    criteria: Object.fromEntries(
      rubric.criteria.map((c) => [
        c.id,
        c.safety ? { preference: 'tie', finding: null } : { preference, finding: `${c.id}: ${preference}` },
      ]),
    ),
    rationale,
  });
}

/**
 * Decides a pairwise request by the two outputs' text as shown (`prefer(first, second)`); pointwise
 * requests get {@link factsPolicy}'s answer.
 */
export function pairPolicy(prefer: (first: string, second: string) => FakePosition, margin = 0.8): JudgePolicy {
  const pointwise = factsPolicy();
  return (request) => {
    const system = request.messages[0]?.content ?? '';
    const user = request.messages[1]?.content ?? '';
    if (!isPairRequest(user)) return pointwise(request);
    const { first, second } = readPairOutputs(user);
    const preference = prefer(first, second);
    return pairAnswer(system, preference, margin, `Fake judge: prefers ${preference}.`);
  };
}

/** The position bias pairwise judging exists to catch: always prefers whichever output it sees first, decisively. */
export function firstPositionPolicy(): JudgePolicy {
  return pairPolicy(() => 'output_1', 0.9);
}
