import { readFile } from 'node:fs/promises';
import { type Facts, loadBaseConfig, Sample } from '@gavel/core';
import { checkFamilyClash, createLlmGrader, gradeFromFacts, loadJudgeConfig } from '@gavel/judge';
import { runManifest, runStagesFromEnv } from '@gavel/runs';
import { createDockerSandbox, hardcodedTests, loadSandboxConfig, textFacts } from '@gavel/sandbox';
import { CliError } from '../../cli-error.ts';
import { rubricUnderCheck } from './rubric-check.ts';

/** `FILE[:LINE]`: the sample on LINE (1-based) of a native JSONL file, or its only/first line. */
export async function readTrySample(spec: string): Promise<{ sample: Sample; at: string }> {
  const match = /^(.*?)(?::(\d+))?$/.exec(spec);
  const path = match?.[1] ?? spec;
  const line = match?.[2] ? Number(match[2]) : undefined;
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new CliError(`gavel rubric try: cannot read ${path}`, 1);
  }
  const lines = text.split('\n');
  const index = line === undefined ? lines.findIndex((l) => l.trim() !== '') : line - 1;
  const raw = lines[index];
  const at = `${path}:${index + 1}`;
  if (raw === undefined || raw.trim() === '') throw new CliError(`gavel rubric try: ${at}: no sample on that line`, 1);
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(raw);
  } catch (error) {
    throw new CliError(`${at}: not valid JSON (${(error as Error).message})`, 1);
  }
  // A calibration or adversarial line carries a label or an attack name besides the sample.
  const { label: _label, attack: _attack, ...rest } = json;
  const parsed = Sample.safeParse(rest);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new CliError(`${at}: ${issue?.path.join('.') || '(sample)'}: ${issue?.message}`, 1);
  }
  return { sample: parsed.data, at };
}

function factsSummary(facts: Facts): string {
  const parts: string[] = [];
  if (facts.tests)
    parts.push(`tests ${facts.tests.passed}/${Math.max(facts.tests.expected, facts.tests.total)} passed`);
  if (facts.reference)
    parts.push(`reference F1 ${facts.reference.f1.toFixed(3)}, exact ${facts.reference.exact_match}`);
  if (facts.ruff) parts.push(`ruff ${facts.ruff.errors} error(s)`);
  if (facts.pyright) parts.push(`pyright ${facts.pyright.errors} error(s)`);
  if (facts.exit_code !== null) parts.push(`exit ${facts.exit_code}`);
  if (facts.timed_out) parts.push('timed out');
  if (facts.fabricated_claim.length) parts.push(`fabricated: ${facts.fabricated_claim.join(', ')}`);
  if (facts.hardcoded_tests)
    parts.push(`test literals written out: ${facts.hardcoded_tests.covered}/${facts.hardcoded_tests.eligible}`);
  return parts.join('; ') || 'none';
}

/**
 * `gavel rubric try (ID@VER | --rubric-file P) --sample FILE[:LINE]`: one sample, at once, no queue and
 * no run: its facts (the Docker sandbox for code), then the configured judge (GAVEL_JUDGE…; point it at
 * the design layer's Ollama, through the gpu-agent's gate when one runs), printed: facts, criterion
 * scores, verdict and rationale. `--json` prints `{facts, verdict}`.
 */
export async function rubricTryCommand(
  spec: string | undefined,
  options: { rubricFile?: string; rubricsDir: string; sample: string; json: boolean },
): Promise<void> {
  const { rubric } = await rubricUnderCheck(spec, options);
  const { sample, at } = await readTrySample(options.sample);
  if (sample.kind === 'pair')
    throw new CliError(`gavel rubric try: ${at}: pair samples are not supported by try yet`, 1);
  if (sample.kind !== rubric.kind) {
    throw new CliError(
      `gavel rubric try: ${at} is a ${sample.kind} sample, ${rubric.id}@${rubric.version} grades ${rubric.kind}`,
      1,
    );
  }
  const judge = loadJudgeConfig(process.env);
  const clash = checkFamilyClash(judge.mode === 'facts' ? null : (judge.family ?? null), sample.sut);
  if (clash) throw new CliError(`${at}: sut.family: ${clash}`, 1);
  const stages = await runStagesFromEnv(process.env, loadBaseConfig(process.env).GAVEL_DATA_DIR);
  const signal = AbortSignal.timeout(600_000);
  let facts: Facts;
  if (sample.kind === 'text') facts = textFacts(sample);
  else {
    const config = loadSandboxConfig({
      ...process.env,
      GAVEL_SANDBOX: 'docker',
      GAVEL_SANDBOX_IMAGE: stages.sandbox.image ?? process.env.GAVEL_SANDBOX_IMAGE,
    });
    const sandbox = await createDockerSandbox(config);
    try {
      facts = { ...(await sandbox.codeFacts(sample, stages.sandbox, signal)), hardcoded_tests: hardcodedTests(sample) };
    } finally {
      await sandbox.close();
    }
  }
  const manifest = runManifest({
    runId: 'rubric-try',
    format: 'jsonl',
    files: [],
    samples: 1,
    skippedInvalid: 0,
    rubrics: new Map([[rubric.kind, rubric]]),
    stages,
  });
  let verdict: Awaited<ReturnType<typeof gradeFromFacts>>;
  if (judge.mode === 'facts') verdict = gradeFromFacts(facts, rubric);
  else {
    const grader = await createLlmGrader(judge);
    try {
      verdict = await grader.grade({ sample, facts, rubric, manifest }, signal);
    } finally {
      await grader.close();
    }
  }
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ sample: at, rubric: rubric.ref, facts, verdict })}\n`);
    return;
  }
  const lines = [
    `${at} · ${rubric.id}@${rubric.version} (${rubric.ref.state ?? 'draft'}, sha256 ${rubric.ref.hash.slice(0, 12)}…) · judge ${verdict.grader?.model ?? judge.mode}`,
    `facts: ${factsSummary(facts)}`,
    ...verdict.criteria.map((c) => `  ${c.id.padEnd(16)} ${c.score.toFixed(3)}${c.finding ? `  ${c.finding}` : ''}`),
    `verdict: ${verdict.pass ? 'PASS' : 'FAIL'} score ${verdict.score.toFixed(3)} (threshold ${rubric.pass_threshold})${verdict.flags.length ? ` flags ${verdict.flags.join(', ')}` : ''}`,
    `rationale: ${verdict.rationale}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}
