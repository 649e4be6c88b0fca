import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { resultKey, runnerStdin, verifiedRunnerOutput } from './runner-output.ts';

const doc = {
  runner: 'ok',
  exit_code: 0,
  duration_ms: 12.5,
  timed_out: false,
  junit_xml: '<testsuite tests="1"><testcase classname="t" name="test_a"/></testsuite>',
  report_rejected: false,
  output_bytes: 3,
  output_truncated: false,
};

/** The runner's line, signed as sandbox/runner.py does (HMAC-SHA256 over the JSON's bytes, hex). */
function line(key: string, body: object, mac?: string): string {
  const json = JSON.stringify(body);
  return `${mac ?? createHmac('sha256', Buffer.from(key, 'hex')).update(json).digest('hex')} ${json}`;
}

describe('verifiedRunnerOutput', () => {
  const key = resultKey();
  const forged = { ...doc, exit_code: 0, junit_xml: '<testsuite tests="9"/>' };

  it('accepts the line its key verifies', () => {
    expect(verifiedRunnerOutput(`${line(key, doc)}\n`, key)).toEqual(doc);
  });
  it('ignores forged lines before and after the real one (a fake result from the sample)', () => {
    const out = [JSON.stringify(forged), line(key, doc), line(key, forged, 'a'.repeat(64)), JSON.stringify(forged)];
    expect(verifiedRunnerOutput(out.join('\n'), key)).toEqual(doc);
  });
  it('a line signed with another key, or with its body changed, is no document', () => {
    expect(verifiedRunnerOutput(line(resultKey(), doc), key)).toBeNull();
    const real = line(key, doc);
    expect(verifiedRunnerOutput(real.replace('"exit_code":0', '"exit_code":1'), key)).toBeNull();
    expect(verifiedRunnerOutput(JSON.stringify(doc), key)).toBeNull();
  });
  it('a verified line that is not a runner document is no document', () => {
    expect(verifiedRunnerOutput(line(key, { runner: 'ok' }), key)).toBeNull();
  });
  it('the key travels as the first line of stdin, 64 hex digits', () => {
    const stdin = runnerStdin(key, Buffer.from('TAR'));
    expect(stdin.toString('ascii')).toBe(`${key}\nTAR`);
    expect(key).toMatch(/^[0-9a-f]{64}$/);
  });
});
