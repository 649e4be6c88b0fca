import type { Facts, PointwiseSample as Sample } from '@gavel/core';
import { humanEvalSample } from '@gavel/core';
import { createDockerSandbox, type DockerSandbox } from '@gavel/sandbox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  canonicalSample,
  execContainerStates,
  gavelContainers,
  humanEvalProblems,
  limits,
  SUT,
  sandboxConfig,
} from './sandbox-fixtures.ts';

// The 164 HumanEval canonical solutions through the real Docker sandbox all pass; wrong completions
// (one that raises, one that returns the canonical solution of another problem) all fail.

let sandbox: DockerSandbox;
beforeAll(async () => {
  sandbox = await createDockerSandbox(sandboxConfig({ GAVEL_SANDBOX_CONCURRENCY: '2' }));
});
afterAll(async () => {
  await sandbox?.close();
});

async function grade(samples: Sample[], parallel: number): Promise<Map<string, Facts>> {
  const out = new Map<string, Facts>();
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < samples.length) {
        const s = samples[next++] as Sample;
        out.set(s.id, await sandbox.codeFacts(s, limits(), AbortSignal.timeout(300_000)));
      }
    }),
  );
  return out;
}

const allPassed = (f: Facts | undefined) =>
  f?.tests !== null &&
  f?.tests !== undefined &&
  f.tests.passed === f.tests.expected &&
  f.tests.failed === 0 &&
  f.tests.errors === 0;

describe('HumanEval agreement', () => {
  it('every canonical solution passes, every wrong completion fails', { timeout: 900_000 }, async () => {
    const problems = humanEvalProblems();
    expect(problems).toHaveLength(164);
    const canonical = problems.map((p, i) => canonicalSample(p, i));
    const raising = problems.map((p, i) =>
      humanEvalSample(p, '    raise NotImplementedError\n', `wrong-raise-${i}`, SUT),
    );
    // The next problem's solution under this problem's function: a plausible but wrong program.
    const swapped = problems.map((p, i) => {
      const other = problems[(i + 1) % problems.length] as (typeof problems)[number];
      return humanEvalSample(p, other.canonical_solution ?? '', `wrong-swap-${i}`, SUT);
    });
    const facts = await grade([...canonical, ...raising, ...swapped.slice(0, 40)], 24);
    const canonicalFailing = canonical
      .filter((s) => !allPassed(facts.get(s.id)))
      .map((s) => `${s.task_id}: ${JSON.stringify(facts.get(s.id)?.tests?.cases)}`);
    expect(canonicalFailing).toEqual([]);
    const wrongPassing = [...raising, ...swapped.slice(0, 40)]
      .filter((s) => allPassed(facts.get(s.id)))
      .map((s) => s.id);
    expect(wrongPassing).toEqual([]);
    for (const s of canonical) expect(facts.get(s.id)?.tests?.collected).toBe(1);
    // Every container that ran a sample is gone; only those made ahead (one per slot, never started) wait.
    const states = execContainerStates();
    expect(states.length).toBeLessThanOrEqual(2);
    expect(states.filter((state) => state !== 'created')).toEqual([]);
    await sandbox.close();
    expect(gavelContainers()).toEqual([]);
  });
});
