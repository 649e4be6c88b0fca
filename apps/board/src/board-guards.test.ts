import { describe, expect, it } from 'vitest';
import { destructiveAction } from './board-actions.ts';
import { BoardEnv } from './board-config.ts';
import { allowedHostsFor, hostAllowed, hostName } from './host-check.ts';

const env = (over: Record<string, string> = {}) => BoardEnv.parse(over);

describe('the Host check', () => {
  it('reads the host name of every Host header form', () => {
    expect(hostName('LocalHost:3030')).toBe('localhost');
    expect(hostName('[::1]:3030')).toBe('::1');
    expect(hostName('127.0.0.1')).toBe('127.0.0.1');
    expect(hostName('localhost.')).toBe('localhost');
    expect(hostName('a b')).toBeUndefined();
  });

  it('without credentials answers loopback names, the listen address and the listed hosts only', () => {
    const allowed = allowedHostsFor(env({ GAVEL_BOARD_ALLOWED_HOSTS: 'board.lan, gavel.internal' }), false);
    for (const h of ['localhost:3030', '127.0.0.1:3030', '[::1]:3030', 'board.lan:3030', 'gavel.internal']) {
      expect(hostAllowed(allowed, h), h).toBe(true);
    }
    for (const h of ['evil.example', '127.0.0.1.nip.io:3030', 'localhost.evil.example', undefined]) {
      expect(hostAllowed(allowed, h), String(h)).toBe(false);
    }
  });

  it('with credentials checks the Host only when a list is configured', () => {
    expect(hostAllowed(allowedHostsFor(env({ GAVEL_BOARD_HOST: '0.0.0.0' }), true), 'anything:3030')).toBe(true);
    const listed = allowedHostsFor(env({ GAVEL_BOARD_HOST: '0.0.0.0', GAVEL_BOARD_ALLOWED_HOSTS: 'board.lan' }), true);
    expect(hostAllowed(listed, 'board.lan')).toBe(true);
    expect(hostAllowed(listed, 'localhost')).toBe(false);
  });
});

describe('destructive board actions', () => {
  it('names the routes that remove or rewrite jobs, however spelled', () => {
    expect(destructiveAction('put', '/api/queues/judge/empty')).toBe('empty a queue');
    expect(destructiveAction('PUT', '/API/QUEUES/judge/Obliterate/')).toBe('obliterate a queue');
    expect(destructiveAction('PUT', '/api/queues/judge/clean/completed')).toBe('clean a queue');
    expect(destructiveAction('PUT', '/api/queues/judge/run~s-1/clean')).toBe('remove a job');
    expect(destructiveAction('PUT', '/api/queues/judge/run%7Es-1/clean')).toBe('remove a job');
    expect(destructiveAction('POST', '/api/queues/judge/add')).toBe('add a job by hand');
    expect(destructiveAction('PATCH', '/api/queues/judge/run~s-1/update-data')).toBe("edit a job's payload");
  });

  it('leaves retries, promotion, pause and reads alone', () => {
    for (const [method, path] of [
      ['PUT', '/api/queues/judge/run~s-1/retry'],
      ['PUT', '/api/queues/judge/retry/failed'],
      ['PUT', '/api/queues/judge/promote'],
      ['PUT', '/api/queues/judge/pause'],
      ['GET', '/api/queues'],
      ['GET', '/api/queues/judge/clean'],
    ] as const) {
      expect(destructiveAction(method, path), `${method} ${path}`).toBeUndefined();
    }
  });
});
