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

  it("a frozen run's gate report hash must still be the lock entry's and the report file's", () => {
    const gates = 'a'.repeat(64);
    const frozen = { ...ref, state: 'frozen' as const, gate_report_sha256: gates };
    const ok = { lockGateReportSha256: gates, gateReportPath: 'r/1.0.0.gates.json', gateReportSha256: gates };
    expect(checkRubricBytes(frozen, sources(ok)).mismatches).toEqual([]);
    const edited = checkRubricBytes(
      frozen,
      sources({ ...ok, gateReportSha256: 'b'.repeat(64), lockGateReportSha256: undefined }),
    );
    expect(edited.mismatches.map((m) => [m.field, m.recorded, m.rederived])).toEqual([
      ['rubrics.lock.json gate_report_sha256', gates, 'no gate report recorded there'],
      ['r/1.0.0.gates.json sha256', gates, 'b'.repeat(64)],
    ]);
  });

  it('a draft is checked by its published bytes only (it is in no lock file and may live anywhere)', () => {
    const draft = { ...ref, state: 'draft' as const, gate_report_sha256: null };
    expect(checkRubricBytes(draft, sources({ lockSha256: undefined, fileText: undefined })).mismatches).toEqual([]);
    expect(checkRubricBytes(draft, sources({ redisText: 'other' })).mismatches.map((m) => m.field)).toEqual([
      'Redis bytes sha256',
    ]);
  });
});
