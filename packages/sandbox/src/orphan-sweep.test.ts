import type Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { orphanedContainers, type SweptContainer, sweepOrphans } from './orphan-sweep.ts';

const c = (Id: string, labels: Record<string, string>, State = 'running', Created = 1000): SweptContainer => ({
  Id,
  Labels: { gavel: 'sandbox', ...labels },
  State,
  Created,
});
const exec = (Id: string, instance: string) => c(Id, { 'gavel.role': 'exec', 'gavel.instance': instance });
const lease = (instance: string, State: string, Created = 1000) =>
  c(`lease-${instance}`, { 'gavel.role': 'lease', 'gavel.instance': instance }, State, Created);
const rules = { self: 'me', nowS: 2000, leaseStartS: 60, maxAgeS: 600 };

describe('orphanedContainers', () => {
  it('keeps the containers of an instance whose lease runs, however old, on whatever host or PID', () => {
    const list = [lease('a', 'running'), exec('a1', 'a'), c('a2', { 'gavel.role': 'analysis', 'gavel.instance': 'a' })];
    expect(orphanedContainers(list, rules)).toEqual([]);
  });

  it('removes every container of an instance whose lease ended or is gone, the ended lease too', () => {
    const list = [lease('dead', 'exited'), exec('d1', 'dead'), exec('g1', 'gone')];
    expect(orphanedContainers(list, rules)).toEqual(['lease-dead', 'd1', 'g1']);
  });

  it('never removes its own containers, and counts a lease still being started as live', () => {
    const list = [exec('m1', 'me'), lease('new', 'created', 1990), exec('n1', 'new'), lease('old', 'created', 1000)];
    expect(orphanedContainers(list, rules)).toEqual(['lease-old']);
  });

  it('containers without an instance label (an older gavel) are removed only past the age limit', () => {
    const list = [c('young', {}, 'running', 1500), c('old', {}, 'running', 1300)];
    expect(orphanedContainers(list, rules)).toEqual(['old']);
  });
});

/** An engine holding `list` (what `docker ps -a` would show) that records each removal. */
function engine(list: SweptContainer[]) {
  const removed: string[] = [];
  const docker = {
    listContainers: async () => list,
    getContainer: (id: string) => ({ remove: async () => void removed.push(id) }),
  } as unknown as Docker;
  return { docker, removed };
}

describe('sweepOrphans with confirm', () => {
  it("removes only the confirmed instances' containers; unlabelled old ones go either way", async () => {
    const list = [lease('x', 'exited'), exec('x1', 'x'), exec('y1', 'y'), c('old', {}, 'exited', 0)];
    const asked: string[][] = [];
    const { docker, removed } = engine(list);
    const swept = await sweepOrphans(docker, {
      self: 'me',
      confirm: (withoutLease) => {
        asked.push([...withoutLease].sort());
        return new Set(['x']);
      },
    });
    expect(asked).toEqual([['x', 'y']]);
    expect(swept).toEqual(['lease-x', 'x1', 'old']);
    expect(removed).toEqual(swept);
  });

  it('removes every orphan without confirm', async () => {
    const { docker, removed } = engine([exec('x1', 'x'), exec('y1', 'y')]);
    expect(await sweepOrphans(docker, { self: 'me' })).toEqual(['x1', 'y1']);
    expect(removed).toEqual(['x1', 'y1']);
  });
});
