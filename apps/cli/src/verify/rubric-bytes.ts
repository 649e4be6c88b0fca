import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RubricRef } from '@gavel/core';
import type { Mismatch } from '@gavel/report';
import { gateReportPath, RubricLock, rubricKey, sha256Hex } from '@gavel/rubric';

/** Where a pinned rubric's bytes can be read again: the lock file, the library file, the run's Redis. */
export interface RubricSources {
  lockPath: string;
  /** The lock file's sha256 for this rubric (undefined: no entry, or no readable lock file). */
  lockSha256: string | undefined;
  filePath: string;
  fileText: string | undefined;
  redisText: string | undefined;
  /** The gate report hash the lock entry records (undefined: none). */
  lockGateReportSha256?: string | undefined;
  /** `rubrics/<id>/<version>.gates.json` and the sha256 of its bytes (undefined: missing). */
  gateReportPath?: string;
  gateReportSha256?: string | undefined;
}

/**
 * Each source of a pinned rubric against the manifest's hash: the lock file's pin, the sha256 of the
 * library file and of the bytes published to Redis. Returns the mismatches, and the first bytes
 * (Redis, then the file) that hash to the pin — what verdicts are re-derived with.
 */
export function checkRubricBytes(ref: RubricRef, sources: RubricSources): { mismatches: Mismatch[]; text?: string } {
  const subject = `rubric ${rubricKey(ref)}`;
  const mismatches: Mismatch[] = [];
  const compare = (field: string, actual: string | undefined, absent: string) => {
    if (actual !== ref.hash) {
      mismatches.push({ subject, sample_id: null, field, recorded: ref.hash, rederived: actual ?? absent });
    }
  };
  const fileHash = sources.fileText === undefined ? undefined : sha256Hex(sources.fileText);
  // A draft (`--rubric-file`) lives anywhere and is pinned by no lock entry: only its published bytes count.
  if (ref.state !== 'draft') {
    compare(`${sources.lockPath} sha256`, sources.lockSha256, 'not pinned there');
    compare(`${sources.filePath} sha256`, fileHash, 'file missing');
  }
  if (ref.gate_report_sha256) {
    const recorded = ref.gate_report_sha256;
    const gate = (field: string, actual: string | undefined, absent: string) => {
      if (actual !== recorded)
        mismatches.push({ subject, sample_id: null, field, recorded, rederived: actual ?? absent });
    };
    gate(`${sources.lockPath} gate_report_sha256`, sources.lockGateReportSha256, 'no gate report recorded there');
    gate(`${sources.gateReportPath ?? 'gate report'} sha256`, sources.gateReportSha256, 'file missing');
  }
  const redisHash = sources.redisText === undefined ? undefined : sha256Hex(sources.redisText);
  compare('Redis bytes sha256', redisHash, 'never published to this Redis');
  const text = redisHash === ref.hash ? sources.redisText : fileHash === ref.hash ? sources.fileText : undefined;
  return text === undefined ? { mismatches } : { mismatches, text };
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Reads a pinned rubric's sources from the library folder and through `redisText`. */
export async function readRubricSources(
  rubricsDir: string,
  ref: RubricRef,
  redisText: (ref: RubricRef) => Promise<string | undefined>,
): Promise<RubricSources> {
  const lockPath = join(rubricsDir, 'rubrics.lock.json');
  const filePath = join(rubricsDir, ref.id, `${ref.version}.md`);
  const lockRaw = await readText(lockPath);
  let lockSha256: string | undefined;
  let lockGateReportSha256: string | undefined;
  if (lockRaw !== undefined) {
    try {
      const entry = RubricLock.parse(JSON.parse(lockRaw))[rubricKey(ref)];
      lockSha256 = entry?.sha256;
      lockGateReportSha256 = entry?.gate_report_sha256;
    } catch {
      lockSha256 = undefined;
    }
  }
  const gatesPath = gateReportPath(rubricsDir, ref.id, ref.version);
  const gatesText = await readText(gatesPath);
  return {
    lockPath,
    lockSha256,
    filePath,
    fileText: await readText(filePath),
    redisText: await redisText(ref),
    lockGateReportSha256,
    gateReportPath: gatesPath,
    gateReportSha256: gatesText === undefined ? undefined : sha256Hex(gatesText),
  };
}
