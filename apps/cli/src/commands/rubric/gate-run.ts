import { createHash } from 'node:crypto';
import { isAbsolute, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { contentText, type DatasetFile, GAVEL_VERSION, loadBaseConfig, type RunManifest } from '@gavel/core';
import { enqueueRun } from '@gavel/queue';
import type { ExportRecord } from '@gavel/report';
import {
  type ContaminationTask,
  contaminationGate,
  type GateReport,
  type LoadedRubric,
  type PublicSource,
  pinnedGate,
  readLock,
} from '@gavel/rubric';
import { checkDataset, runManifest, runStagesFromEnv } from '@gavel/runs';
import { CliError } from '../../cli-error.ts';
import { openContext } from '../../context.ts';
import { loadRunRecords } from '../../run-records-source.ts';
import { weighLabelledGates } from './gate-outcomes.ts';
import type { LabelledSample } from './labelled-samples.ts';

export interface GateRunInput {
  rubric: LoadedRubric;
  /** Where the rubric came from (a library path or --rubric-file), for the report. */
  source: string;
  rubricsDir: string;
  calibration: { file: DatasetFile; samples: LabelledSample[] };
  adversarial: { file: DatasetFile; samples: LabelledSample[] }[];
  publicSources: PublicSource[];
  evalTasks: { task_id: string; text: string }[];
  ngram: number;
  threshold: number;
  timeoutS: number;
  now?: Date;
}

/** A path as the report records it: relative to the working directory (reports travel with the repo). */
export function reportPath(path: string): string {
  return isAbsolute(path) ? relative(process.cwd(), path) || '.' : path;
}

/** The judge a manifest pinned, as one name: `facts`, or `<mode>:<model>`. */
export function judgeName(stages: RunManifest['stages']): string {
  return stages.judge.mode === 'facts' ? 'facts' : `${stages.judge.mode}:${stages.judge.model}`;
}

async function waitForRun(runId: string, context: ReturnType<typeof openContext>, timeoutS: number): Promise<void> {
  const deadline = Date.now() + timeoutS * 1000;
  const started = Date.now();
  let hinted = false;
  for (;;) {
    const p = await context.store.progress(runId);
    if (p.total > 0 && p.ended >= p.total) return;
    if (!hinted && p.ended === 0 && Date.now() - started > 60_000) {
      hinted = true;
      const active = await Promise.all(Object.values(context.queues).map((q) => q.getActiveCount()));
      if (active.some((n) => n > 0)) continue;
      process.stderr.write(
        `gavel rubric: no calibration sample has ended after 60 s: are the workers running (gavel workers) against this Redis?\n`,
      );
    }
    if (Date.now() >= deadline) {
      throw new CliError(
        `gavel rubric: calibration run ${runId} timed out after ${timeoutS}s with ${p.ended}/${p.total} sample(s) ended (see gavel status ${runId})`,
        124,
      );
    }
    await sleep(250);
  }
}

/**
 * Runs the four gates (a pair rubric's discriminative and adversarial gates in their pairwise form):
 * the calibration and adversarial samples go through the real pipeline as one run tagged `calibration` (sandbox and judge as configured, workers as running), then the verdicts,
 * the eval tasks and the lock file are weighed. Returns the report; nothing is written.
 */
export async function runGates(input: GateRunInput): Promise<GateReport> {
  const { rubric } = input;
  const all = [...input.calibration.samples, ...input.adversarial.flatMap((a) => a.samples)];
  const wrongKind = all.find((s) => s.sample.kind !== rubric.kind);
  if (wrongKind) {
    throw new CliError(
      `${wrongKind.file}:${wrongKind.line}: kind: a ${wrongKind.sample.kind} sample cannot calibrate the ${rubric.kind} rubric ${rubric.id}@${rubric.version}`,
      1,
    );
  }
  const files = [input.calibration.file, ...input.adversarial.map((a) => a.file)];
  const stages = await runStagesFromEnv(process.env, loadBaseConfig(process.env).GAVEL_DATA_DIR);
  const check = checkDataset(
    {
      samples: all.map((s) => s.sample),
      lines: all.map((s) => ({ file: s.file, line: s.line })),
      errors: [],
    },
    stages.judge.family,
    stages.judge.critic?.family ?? null,
  );
  if (check.errors.length > 0) {
    const e = check.errors[0];
    throw new CliError(`${e?.file}:${e?.line}: ${e?.field}: ${e?.message}`, 1);
  }
  const now = input.now ?? new Date();
  const draft = { ...rubric, ref: { ...rubric.ref, state: 'draft' as const, gate_report_sha256: null } };
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  const runId = `calibration-${rubric.id}-${rubric.version}-${rubric.ref.hash.slice(0, 8)}-${stamp}-${createHash('sha256').update(String(Math.random())).digest('hex').slice(0, 4)}`;
  const manifest = runManifest({
    runId,
    format: 'jsonl',
    files,
    samples: all.length,
    skippedInvalid: 0,
    rubrics: new Map([[rubric.kind, draft]]),
    stages,
    tags: ['calibration'],
    now,
  });
  const context = openContext();
  let records: readonly ExportRecord[];
  try {
    await enqueueRun({
      store: context.store,
      sandbox: context.queues.sandbox,
      manifest,
      samples: all.map((s) => s.sample),
      rubrics: [draft],
    });
    process.stderr.write(`gavel rubric: calibration run ${runId}: ${all.length} sample(s) enqueued\n`);
    await waitForRun(runId, context, input.timeoutS);
    records = (await loadRunRecords(context, runId)).records;
  } finally {
    await context.close();
  }
  const byId = new Map(records.map((r) => [r.sample_id, r]));
  const { discriminative, adversarial } = weighLabelledGates(
    rubric,
    input.calibration.samples,
    input.adversarial.flatMap((a) => a.samples),
    byId,
  );
  const tasks: ContaminationTask[] = [
    ...input.evalTasks.map((t) => ({ set: 'eval' as const, task_id: t.task_id, text: t.text })),
    ...uniqueTasks(input.calibration.samples).map((t) => ({ set: 'calibration' as const, ...t })),
    { set: 'rubric', task_id: `${rubric.id}@${rubric.version}`, text: rubric.text },
  ];
  const contamination = contaminationGate(tasks, input.publicSources, { n: input.ngram, threshold: input.threshold });
  const pinned = pinnedGate(rubric.id, rubric.version, rubric.ref.hash, await readLock(input.rubricsDir));
  const gates = { discriminative, adversarial, contamination, pinned };
  return {
    gavel_version: GAVEL_VERSION,
    created_at: now.toISOString(),
    rubric: {
      id: rubric.id,
      version: rubric.version,
      kind: rubric.kind,
      sha256: rubric.ref.hash,
      source: reportPath(input.source),
    },
    judge: { name: judgeName(stages), mode: stages.judge.mode, model: stages.judge.model, k: stages.judge.k },
    run_id: runId,
    calibration: {
      files: [{ path: reportPath(input.calibration.file.path), sha256: input.calibration.file.sha256 }],
      sha256: input.calibration.file.sha256,
      samples: input.calibration.samples.length,
    },
    adversarial_files: input.adversarial.map((a) => ({ path: reportPath(a.file.path), sha256: a.file.sha256 })),
    passed: Object.values(gates).every((g) => g.passed),
    gates,
  };
}

function uniqueTasks(samples: readonly LabelledSample[]): { task_id: string; text: string }[] {
  const seen = new Map<string, string>();
  for (const s of samples) {
    const id = s.sample.task_id ?? s.sample.id;
    if (!seen.has(id)) seen.set(id, contentText(s.sample.prompt));
  }
  return [...seen].map(([task_id, text]) => ({ task_id, text }));
}
