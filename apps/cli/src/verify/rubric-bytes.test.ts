import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checkRubricBytes, type RubricSources } from './rubric-bytes.ts';

const text = '---\nid: r\nversion: 1.0.0\n---\nthe rubric\n';
const hash = createHash('sha256').update(text).digest('hex');
const ref = { id: 'r', version: '1.0.0', hash };

function sources(over: Partial<RubricSources> = {}): RubricSources {
  return {
    lockPath: 'rubrics.lock.json',
    lockSha256: hash,
    filePath: 'r/1.0.0.md',
    fileText: text,
    redisText: text,
    ...over,
  };
}

describe('rubric bytes against the pinned hash', () => {
  it('finds nothing when the lock file, the file and Redis all hold the pinned bytes', () => {
    expect(checkRubricBytes(ref, sources())).toEqual({ mismatches: [], text });
  });

  it('names each source that differs, and re-derives with the bytes that still match', () => {
    const forged = `${text} `;
    const result = checkRubricBytes(ref, sources({ redisText: forged, lockSha256: 'f'.repeat(64) }));
    expect(result.mismatches.map((m) => [m.subject, m.field, m.rederived])).toEqual([
      ['rubric r@1.0.0', 'rubrics.lock.json sha256', 'f'.repeat(64)],
      ['rubric r@1.0.0', 'Redis bytes sha256', createHash('sha256').update(forged).digest('hex')],
    ]);
    expect(result.text).toBe(text);
  });

  it('says what is missing, and has no bytes to re-derive with when none match', () => {
    const result = checkRubricBytes(ref, sources({ lockSha256: undefined, fileText: undefined, redisText: undefined }));
    expect(result.mismatches.map((m) => m.rederived)).toEqual([
      'not pinned there',
      'file missing',
      'never published to this Redis',
    ]);
    expect(result.text).toBeUndefined();
  });
});
