import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError } from '@gavel/core';
import { z } from 'zod';
import { sha256Hex } from './rubric.ts';

const Hex64 = z.string().regex(/^[0-9a-f]{64}$/);

/** The figures of a gate report that the lock entry repeats, so a reader need not open the report. */
export const GateHeadline = z.object({
  calibration_sha256: Hex64,
  /** Pointwise: the share of calibration samples that passed; pair rubrics: the share where B was preferred. */
  pass_rate: z.number(),
  kappa: z.number().nullable(),
  tpr: z.number().nullable(),
  tnr: z.number().nullable(),
  /** `n/n failed`: adversarial samples that failed, of those run. */
  adversarial: z.string(),
  /** `clean`, or the number of public tasks found (which then were not in an eval set). */
  contamination: z.string(),
  /** The judge that ran the gates, e.g. `facts` or `vllm:judge-model`. */
  judge: z.string(),
  /** Pair rubrics: the share of calibration pairs whose outcome was the labelled better side. */
  agreement: z.number().nullable().optional(),
  /** Pair rubrics: the share of calibration pairs whose two orders gave the same preference. */
  position_consistency: z.number().nullable().optional(),
});
export type GateHeadline = z.infer<typeof GateHeadline>;

export const RubricLockEntry = z.object({
  sha256: Hex64,
  frozen_at: z.string().optional(),
  /** The sha256 of `rubrics/<id>/<version>.gates.json`, written by `gavel rubric freeze`. */
  gate_report_sha256: Hex64.optional(),
  gates: GateHeadline.optional(),
});
export type RubricLockEntry = z.infer<typeof RubricLockEntry>;

/** `rubrics/rubrics.lock.json`: every frozen rubric version with its pinned sha256 and gate report. */
export const RubricLock = z.record(z.string(), RubricLockEntry);
export type RubricLock = z.infer<typeof RubricLock>;

export function lockPath(dir: string): string {
  return join(dir, 'rubrics.lock.json');
}

/** Where `gavel rubric freeze` keeps a version's gate report. */
export function gateReportPath(dir: string, id: string, version: string): string {
  return join(dir, id, `${version}.gates.json`);
}

export async function readLock(dir: string): Promise<RubricLock> {
  const path = lockPath(dir);
  let raw: string;
  try {
    raw = await readFile(path, 'utf8');
  } catch {
    throw new InputError(`${path} is missing: rubrics must be pinned in a lock file`);
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (error) {
    throw new InputError(`${path}: not JSON (${(error as Error).message})`);
  }
  const parsed = RubricLock.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InputError(`${path}: ${issue?.path.join('.') || '(lock)'}: ${issue?.message}`);
  }
  return parsed.data;
}

/** Writes the lock file with its keys sorted (only `gavel rubric freeze` calls this). */
export async function writeLock(dir: string, lock: RubricLock): Promise<void> {
  const sorted = Object.fromEntries(Object.entries(lock).sort(([a], [b]) => a.localeCompare(b)));
  await writeFile(lockPath(dir), `${JSON.stringify(sorted, null, 2)}\n`);
}

/** The part of a gate report the loader checks; the whole report is `GateReport` (gate-report.ts). */
const GateReportCore = z.object({
  passed: z.boolean(),
  rubric: z.object({ id: z.string(), version: z.string(), sha256: Hex64 }),
});

/**
 * Why a lock entry is not backed by a gate report that passed on these bytes, or undefined when it
 * is: the report file exists, hashes to the entry's `gate_report_sha256`, passed every gate, and
 * names the rubric and the sha256 the entry pins.
 */
export async function gateReportProblem(
  dir: string,
  id: string,
  version: string,
  entry: RubricLockEntry,
): Promise<string | undefined> {
  if (!entry.gate_report_sha256) return 'the lock entry records no gate report';
  const path = gateReportPath(dir, id, version);
  let raw: string;
  try {
    raw = await readFile(path, 'utf8');
  } catch {
    return `${path} is missing`;
  }
  if (sha256Hex(raw) !== entry.gate_report_sha256) {
    return `${path} hashes to ${sha256Hex(raw).slice(0, 12)}…, the lock entry records ${entry.gate_report_sha256.slice(0, 12)}…`;
  }
  let report: z.infer<typeof GateReportCore>;
  try {
    report = GateReportCore.parse(JSON.parse(raw));
  } catch {
    return `${path} is not a gate report`;
  }
  if (!report.passed) return `${path} records failed gates`;
  if (report.rubric.id !== id || report.rubric.version !== version || report.rubric.sha256 !== entry.sha256) {
    return `${path} is the report of ${report.rubric.id}@${report.rubric.version} (sha256 ${report.rubric.sha256.slice(0, 12)}…), not of these bytes`;
  }
  return undefined;
}
