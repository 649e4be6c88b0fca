import type { Verdict } from '@gavel/core';
import { describe, expect, it } from 'vitest';
import { deferredGrader, type GradeInput, type Grader } from './grader.ts';

const input = {} as GradeInput;
const signal = new AbortController().signal;

function fakeGrader(log: string[]): Grader {
  return {
    name: 'vllm:judge',
    grade: async () => {
      log.push('grade');
      return { pass: true } as Verdict;
    },
    close: async () => {
      log.push('close');
    },
  };
}

describe('deferredGrader', () => {
  it('builds nothing until the first job, then once for all concurrent jobs', async () => {
    const log: string[] = [];
    let builds = 0;
    const grader = deferredGrader('vllm:judge', async () => {
      builds += 1;
      await new Promise((r) => setTimeout(r, 10));
      return fakeGrader(log);
    });
    expect(builds).toBe(0);
    await Promise.all([grader.grade(input, signal), grader.grade(input, signal), grader.grade(input, signal)]);
    expect(builds).toBe(1);
    expect(log).toEqual(['grade', 'grade', 'grade']);
    await grader.close();
    expect(log.at(-1)).toBe('close');
  });

  it('gives a failed build to the jobs that waited on it and builds again for the next job', async () => {
    const log: string[] = [];
    let builds = 0;
    const grader = deferredGrader('vllm:judge', async () => {
      builds += 1;
      if (builds === 1) throw new Error('server not up');
      return fakeGrader(log);
    });
    const first = await Promise.allSettled([grader.grade(input, signal), grader.grade(input, signal)]);
    expect(first.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(builds).toBe(1);
    await grader.grade(input, signal);
    expect(builds).toBe(2);
    expect(log).toEqual(['grade']);
  });

  it('closes cleanly when nothing was ever built', async () => {
    let builds = 0;
    const grader = deferredGrader('vllm:judge', async () => {
      builds += 1;
      return fakeGrader([]);
    });
    await grader.close();
    expect(builds).toBe(0);
  });
});
