import { type RubricRef, readDatasetFile, type SampleKind } from '@gavel/core';
import type { RunStore } from '@gavel/queue';
import {
  type JudgeAgreement,
  judgeAgreement,
  type Mismatch,
  pickEvenly,
  type VerifyCheck,
  type VerifyReport,
  verifyExitCode,
} from '@gavel/report';
import { type LoadedRubric, parseRubric, rubricKey } from '@gavel/rubric';
import { datasetImageHashes } from '@gavel/runs';
import { CliError } from '../cli-error.ts';
import type { CliContext } from '../context.ts';
import { checkDataset } from './dataset-check.ts';
import { checkSandboxImage, type ImageLister } from './image-check.ts';
import { type RecheckItem, recheckJudge } from './judge-recheck.ts';
import { verifyPages } from './record-pages.ts';
import { checkFactsOnlyVerdict, checkRouting } from './rederive-verdict.ts';
import { checkRubricBytes, readRubricSources } from './rubric-bytes.ts';

export interface VerifyRunOptions {
  /** The rubric library whose lock file and files are checked. */
  rubricsDir: string;
  /** Dataset files, in the order they were enqueued, to hash against the manifest. */
  dataset?: readonly string[];
  /** Ask this many LLM-judged samples again of the pinned judge. */
  judgeSample?: number;
  env: NodeJS.ProcessEnv;
  docker: ImageLister;
  /** @default 10000 */
  dockerDeadlineMs?: number;
}

/** The rubric bytes the run's Redis holds for a pinned rubric (what the workers graded with). */
function redisRubricText(store: RunStore, ref: RubricRef): Promise<string | undefined> {
  return store.getRubricText(ref);
}

async function checkRubrics(context: CliContext, options: VerifyRunOptions, refs: [SampleKind, RubricRef][]) {
  const checks: VerifyCheck[] = [];
  const mismatches: Mismatch[] = [];
  const rubrics = new Map<SampleKind, LoadedRubric>();
  for (const [kind, ref] of refs) {
    const sources = await readRubricSources(options.rubricsDir, ref, (r) => redisRubricText(context.store, r));
    const result = checkRubricBytes(ref, sources);
    mismatches.push(...result.mismatches);
    checks.push({
      name: `rubric ${rubricKey(ref)}`,
      status: result.mismatches.length === 0 ? 'ok' : 'mismatch',
      detail:
        result.mismatches.length === 0
          ? ref.state === 'draft'
            ? `draft: the bytes in Redis hash to the pinned ${ref.hash}`
            : `the lock file, ${sources.filePath} and the bytes in Redis all hash to the pinned ${ref.hash}${ref.gate_report_sha256 ? `; gate report ${ref.gate_report_sha256.slice(0, 12)}… as the lock file records` : ''}`
          : `${result.mismatches.length} source(s) differ from the pinned ${ref.hash}${result.text === undefined ? '; no bytes match the pin, so its verdicts cannot be re-derived' : ''}`,
    });
    if (result.text !== undefined) rubrics.set(kind, parseRubric(result.text, `rubric ${rubricKey(ref)}`));
  }
  return { checks, mismatches, rubrics };
}

async function checkDatasetFiles(context: CliContext, runId: string, paths: readonly string[] | undefined) {
  const manifest = await context.store.getManifest(runId);
  if (!paths || paths.length === 0) {
    const check: VerifyCheck = {
      name: 'dataset',
      status: 'skipped',
      detail: `no --dataset FILE given (the run pinned sha256 ${manifest.dataset.sha256})`,
    };
    return { check, mismatches: [] };
  }
  const files = await Promise.all(
    paths.map((p) =>
      readDatasetFile(p).catch((error: unknown) => {
        throw new CliError(`gavel verify: --dataset ${p}: cannot read it (${(error as Error).message})`, 1);
      }),
    ),
  );
  // A JSONL dataset's images are read again from beside its files (the hash covers their bytes).
  const images = manifest.dataset.format === 'jsonl' ? await datasetImageHashes(files) : [];
  const mismatches = checkDataset(manifest, files, images);
  const check: VerifyCheck = {
    name: 'dataset',
    status: mismatches.length === 0 ? 'ok' : 'mismatch',
    detail:
      mismatches.length === 0
        ? `${paths.join(', ')} hash to the pinned ${manifest.dataset.sha256}`
        : `${paths.join(', ')} do not hash to the pinned ${manifest.dataset.sha256}`,
  };
  return { check, mismatches };
}

/**
 * `gavel verify`: re-derives what a finished run recorded — rubric bytes (lock file, library file,
 * Redis) against the pinned hash, the dataset's hash, the sandbox image on this engine, every
 * facts-only verdict from its facts, every routing decision from its judgement — and, with
 * `judgeSample`, asks the pinned judge again and reports the agreement.
 */
export async function verifyRun(context: CliContext, runId: string, options: VerifyRunOptions): Promise<VerifyReport> {
  const manifest = await context.store.findManifest(runId);
  if (!manifest) throw new CliError(`gavel verify: no run ${runId} (see gavel runs)`, 1);
  const refs = Object.entries(manifest.rubrics) as [SampleKind, RubricRef][];
  const rubricResult = await checkRubrics(context, options, refs);
  const checks = [...rubricResult.checks];
  const mismatches = [...rubricResult.mismatches];
  const dataset = await checkDatasetFiles(context, runId, options.dataset);
  checks.push(dataset.check);
  mismatches.push(...dataset.mismatches);
  const image = await checkSandboxImage(manifest, options.docker, options.dockerDeadlineMs ?? 10_000);
  checks.push(image.check);
  mismatches.push(...image.mismatches);

  const factsOnly = manifest.stages.judge.mode === 'facts';
  const samples: VerifyReport['samples'] = {
    total: 0,
    facts_only_rederived: 0,
    routing_rederived: 0,
    safety_from_extra_answers: 0,
    failed: 0,
    pending: 0,
  };
  const sampleMismatches: Mismatch[] = [];
  const noRubric = new Set<string>();
  const llmJudged: string[] = [];
  for await (const page of verifyPages(context, runId)) {
    samples.total += page.unreadable.length;
    sampleMismatches.push(...page.unreadable);
    for (const record of page.records) {
      samples.total += 1;
      if (record.status === 'failed') samples.failed += 1;
      if (record.status === 'pending') samples.pending += 1;
      const rubric = rubricResult.rubrics.get(record.kind);
      if (!rubric) {
        if (record.status === 'verdict') noRubric.add(record.kind);
        continue;
      }
      if (factsOnly) {
        sampleMismatches.push(...checkFactsOnlyVerdict(record, rubric));
        if (record.verdict && record.facts) samples.facts_only_rederived += 1;
        continue;
      }
      const routing = checkRouting(record, rubric, manifest.stages.judge.routing);
      sampleMismatches.push(...routing.mismatches);
      if (routing.rederived) samples.routing_rederived += 1;
      if (routing.safetyFromExtraAnswers) samples.safety_from_extra_answers += 1;
      if (record.judge_verdict?.source === 'judge' && record.facts) llmJudged.push(record.sample_id);
    }
  }
  mismatches.push(...sampleMismatches);
  const bad = new Set(sampleMismatches.map((m) => m.sample_id)).size;
  const rederived = factsOnly ? samples.facts_only_rederived : samples.routing_rederived;
  checks.push({
    name: factsOnly ? 'facts-only verdicts' : 'routing decisions',
    status: noRubric.size > 0 ? 'unchecked' : bad > 0 ? 'mismatch' : 'ok',
    detail:
      noRubric.size > 0
        ? `no rubric bytes match the pin for ${[...noRubric].join(', ')} samples: not re-derived`
        : `${rederived} re-derived from the recorded ${factsOnly ? 'facts and the pinned rubric' : "judgements and the manifest's thresholds"}, ${bad} sample(s) differ`,
  });

  let judgeSample: JudgeAgreement | null = null;
  if (options.judgeSample !== undefined) {
    const picked = pickEvenly(llmJudged, options.judgeSample);
    const entries = await context.store.exportPage(runId, picked);
    const items: RecheckItem[] = [];
    for (const entry of entries) {
      const rubric = rubricResult.rubrics.get(entry.sample.kind);
      if (rubric && entry.facts && entry.judgement)
        items.push({ sample: entry.sample, facts: entry.facts, rubric, recorded: entry.judgement });
    }
    judgeSample = judgeAgreement(await recheckJudge(manifest, items, options.env));
  }
  return {
    run_id: runId,
    checks,
    samples,
    mismatches,
    judge_sample: judgeSample,
    exit_code: verifyExitCode(mismatches, checks),
  };
}
