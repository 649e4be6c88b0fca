import { describe, expect, it } from 'vitest';
import { silentLogger } from './logger.ts';
import { createShutdown } from './shutdown.ts';

function deferred(): { promise: Promise<void>; resolve(): void } {
  let resolve: () => void = () => {};
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

const coordinator = (deadlineMs = 10_000) =>
  createShutdown({ logger: silentLogger, deadlineMs, signals: [], exit: () => {} });

describe('createShutdown', () => {
  it('runs handlers newest first, each even if another throws, once', async () => {
    const shutdown = coordinator();
    const ran: string[] = [];
    shutdown.register('redis', async () => void ran.push('redis'));
    shutdown.register('sandbox', async () => {
      ran.push('sandbox');
      throw new Error('engine gone');
    });
    shutdown.register('worker', async () => void ran.push('worker'));
    await Promise.all([shutdown.run('test'), shutdown.run('again')]);
    await shutdown.run('third');
    expect(ran).toEqual(['worker', 'sandbox', 'redis']);
  });

  it('a shutdown during start-up waits for it, then closes what it started before what was there', async () => {
    const shutdown = coordinator();
    const ran: string[] = [];
    shutdown.register('redis', async () => void ran.push('redis'));
    const building = deferred();
    // The start-up (a stage's build, then its worker) is still under way when the signal comes.
    const startUp = shutdown.during(
      (async () => {
        await building.promise;
        shutdown.register('sandbox', async () => void ran.push('sandbox'));
        shutdown.register('worker', async () => void ran.push('worker'));
      })(),
    );
    const done = shutdown.run('SIGTERM');
    await new Promise((r) => setTimeout(r, 20));
    expect(ran).toEqual([]);
    building.resolve();
    await startUp;
    await done;
    expect(ran).toEqual(['worker', 'sandbox', 'redis']);
  });

  it("closes what the start-up's caller registers right after it", async () => {
    const shutdown = coordinator();
    const ran: string[] = [];
    shutdown.register('redis', async () => void ran.push('redis'));
    const building = deferred();
    const main = (async () => {
      await shutdown.during(building.promise);
      shutdown.register('gate-detach', async () => void ran.push('gate-detach'));
    })();
    const done = shutdown.run('SIGTERM');
    building.resolve();
    await main;
    await done;
    expect(ran).toEqual(['gate-detach', 'redis']);
  });

  it('a start-up that fails or never ends holds the shutdown no longer than the deadline', async () => {
    const shutdown = coordinator(50);
    const ran: string[] = [];
    shutdown.register('redis', async () => void ran.push('redis'));
    void shutdown.during(new Promise<void>(() => {}));
    shutdown.during(Promise.reject(new Error('cannot reach Redis'))).catch(() => {});
    await shutdown.run('SIGTERM');
    expect(ran).toEqual(['redis']);
  });

  it('a handler registered while handlers run is run; one registered after the end, at once', async () => {
    const shutdown = coordinator();
    const ran: string[] = [];
    shutdown.register('redis', async () => void ran.push('redis'));
    shutdown.register('telemetry', async () => {
      ran.push('telemetry');
      shutdown.register('late', async () => void ran.push('late'));
    });
    await shutdown.run('SIGTERM');
    expect(ran).toEqual(['telemetry', 'late', 'redis']);
    shutdown.register('after', async () => void ran.push('after'));
    await new Promise((r) => setImmediate(r));
    expect(ran).toEqual(['telemetry', 'late', 'redis', 'after']);
  });
});
