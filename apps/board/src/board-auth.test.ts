import { ConfigError } from '@gavel/core';
import { describe, expect, it } from 'vitest';
import { authorized } from './board-auth.ts';
import { BoardEnv, boardAuthFor } from './board-config.ts';

const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;

describe('board auth', () => {
  it('refuses a non-loopback bind without credentials and allows loopback', () => {
    expect(() => boardAuthFor(BoardEnv.parse({ GAVEL_BOARD_HOST: '0.0.0.0' }))).toThrow(ConfigError);
    expect(boardAuthFor(BoardEnv.parse({})).kind).toBe('none');
    expect(boardAuthFor(BoardEnv.parse({ GAVEL_BOARD_HOST: '::1' })).kind).toBe('none');
    const withToken = BoardEnv.parse({ GAVEL_BOARD_HOST: '0.0.0.0', GAVEL_BOARD_TOKEN: 'x'.repeat(32) });
    expect(boardAuthFor(withToken).kind).toBe('token');
  });

  it('checks basic credentials and bearer tokens', () => {
    const auth = boardAuthFor(
      BoardEnv.parse({
        GAVEL_BOARD_USER: 'ops',
        GAVEL_BOARD_PASSWORD: 'correct horse battery',
        GAVEL_BOARD_TOKEN: 't'.repeat(30),
      }),
    );
    expect(authorized(auth, basic('ops', 'correct horse battery'))).toBe(true);
    expect(authorized(auth, basic('ops', 'wrong password!!'))).toBe(false);
    expect(authorized(auth, basic('root', 'correct horse battery'))).toBe(false);
    expect(authorized(auth, `Bearer ${'t'.repeat(30)}`)).toBe(true);
    expect(authorized(auth, `Bearer ${'t'.repeat(29)}`)).toBe(false);
    expect(authorized(auth, undefined)).toBe(false);
  });

  it('needs user and password together', () => {
    expect(() => boardAuthFor(BoardEnv.parse({ GAVEL_BOARD_USER: 'ops' }))).toThrow(/together/);
  });
});
