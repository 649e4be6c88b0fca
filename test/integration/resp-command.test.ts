import { describe, expect, it } from 'vitest';
import { readRespCommand } from '../support/resp-command.ts';

// Written by hand from the RESP spec: an array header, then each argument as $<byte length>.
const HSET = Buffer.from('*4\r\n$4\r\nHSET\r\n$1\r\nk\r\n$3\r\ns-1\r\n$6\r\nnaïve\r\n', 'utf8');
const PING = Buffer.from('*1\r\n$4\r\nPING\r\n', 'latin1');

describe('readRespCommand', () => {
  it('reads a command whose lengths count bytes, not characters, and says where the next begins', () => {
    const both = Buffer.concat([HSET, PING]);
    const first = readRespCommand(both);
    expect(first).toEqual({ args: ['HSET', 'k', 's-1', 'naïve'], next: HSET.length });
    expect(readRespCommand(both, first?.next)).toEqual({ args: ['PING'], next: both.length });
  });

  it('waits for a command that is not whole yet, at every cut', () => {
    for (let cut = 0; cut < HSET.length; cut += 1) {
      expect(readRespCommand(HSET.subarray(0, cut)), `cut at ${cut}`).toBeUndefined();
    }
  });

  it('refuses what is not a RESP array, naming where', () => {
    expect(() => readRespCommand(Buffer.from('+OK\r\n'))).toThrow('not a RESP array at byte 0: +OK');
  });
});
