import { describe, expect, it } from 'vitest';
import { pairRuns } from './pairing.ts';
import { record } from './test-records.ts';

describe('pairing two runs', () => {
  it('pairs by task id and by the index of the sample within its task', () => {
    const base = [
      record('A', 'a1', 'T1', true),
      record('A', 'a2', 'T1', false),
      record('A', 'a3', 'T2', true),
      record('A', 'a4', 'T1', true),
    ];
    // The candidate lists its samples in another order and with other ids: the index within the task pairs them.
    const candidate = [record('B', 'b3', 'T2', false), record('B', 'b1', 'T1', true), record('B', 'b2', 'T1', true)];
    const p = pairRuns(base, candidate);
    expect(p.graded.map((g) => [g.task_id, g.index, g.base.sample_id, g.candidate.sample_id])).toEqual([
      ['T1', 0, 'a1', 'b1'],
      ['T1', 1, 'a2', 'b2'],
      ['T2', 0, 'a3', 'b3'],
    ]);
    expect(p.only_in_base).toEqual([{ task_id: 'T1', index: 2, sample_id: 'a4' }]);
    expect(p.only_in_candidate).toEqual([]);
  });

  it('pairs records without a task id by sample id, and never with a task of that name', () => {
    const p = pairRuns(
      [record('A', 'x', null, true), record('A', 'y', null, true)],
      [record('B', 'x', null, false), record('B', 'q', 'y', true)],
    );
    expect(p.graded.map((g) => [g.base.sample_id, g.candidate.sample_id])).toEqual([['x', 'x']]);
    expect(p.only_in_base).toEqual([{ task_id: 'y', index: 0, sample_id: 'y' }]);
    expect(p.only_in_candidate).toEqual([{ task_id: 'y', index: 0, sample_id: 'q' }]);
  });

  it('counts a pair without a verdict on either side apart', () => {
    const p = pairRuns(
      [record('A', 'a1', 'T1', null), record('A', 'a2', 'T2', true), record('A', 'a3', 'T3', true)],
      [
        record('B', 'b1', 'T1', true),
        record('B', 'b2', 'T2', null),
        record('B', 'b3', 'T3', true, { status: 'pending', verdict: null }),
      ],
    );
    expect(p.graded).toEqual([]);
    expect(p.failed_in_either).toEqual([
      {
        task_id: 'T1',
        base_sample_id: 'a1',
        candidate_sample_id: 'b1',
        base_status: 'failed',
        candidate_status: 'verdict',
      },
      {
        task_id: 'T2',
        base_sample_id: 'a2',
        candidate_sample_id: 'b2',
        base_status: 'verdict',
        candidate_status: 'failed',
      },
      {
        task_id: 'T3',
        base_sample_id: 'a3',
        candidate_sample_id: 'b3',
        base_status: 'verdict',
        candidate_status: 'pending',
      },
    ]);
  });
});
