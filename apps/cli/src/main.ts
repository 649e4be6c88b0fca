import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, EXIT_CONFIG, GAVEL_VERSION, InputError } from '@gavel/core';
import { Command, InvalidArgumentError, Option } from 'commander';
import { CliError } from './cli-error.ts';
import { parseMaxDrop, parseSeed } from './commands/compare-options.ts';
import { rubricCommands } from './commands/rubric/rubric-program.ts';
import { asUnreachable } from './redis-reach.ts';

// Each command's module, and what it pulls in (BullMQ, Docker's client, the SDKs), loads only when
// that command runs: `gavel --version` or `gavel status` starts without the rest.
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a positive number');
  return n;
}

function nonNegativeNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('must be a number ≥ 0');
  return n;
}

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

const program = new Command('gavel')
  .description('Grade AI output at dataset scale: sandbox facts → local judge → batch arbiter, on Redis queues.')
  .version(GAVEL_VERSION)
  .showHelpAfterError();

program
  .command('enqueue')
  .description('validate a dataset, pin its rubric, write the run manifest and enqueue every sample')
  .argument('[files...]', 'native JSONL dataset(s), optionally gzipped')
  .addOption(new Option('--format <format>', 'input format').choices(['jsonl', 'humaneval']).default('jsonl'))
  .option('--problems <file>', 'HumanEval problems (HumanEval.jsonl[.gz]) for --format humaneval')
  .option('--samples <file>', 'HumanEval samples ({task_id, completion}) for --format humaneval')
  .option('--run <id>', 'run id (default: generated); enqueuing the same run twice adds nothing twice')
  .option('--rubric <name@version>', 'rubric to pin (default: one per sample kind)')
  .option('--rubric-file <path>', 'a draft rubric at any path (the run is marked draft)')
  .option('--rubrics-dir <dir>', 'rubric library', join(ROOT, 'rubrics'))
  .option('--skip-invalid', 'enqueue the valid lines and report the rest', false)
  .option('--sut-model <model>', 'model that wrote the samples (HumanEval format)')
  .option('--sut-family <family>', 'its model family (HumanEval format)')
  .option('--sut-precision <precision>', 'its weight precision, e.g. bf16, fp4 (HumanEval format)')
  .option('--generate <n>', 'the system under test (GAVEL_SUT_*) writes n completions per prompt', positiveInteger)
  .option('--temperature <t>', 'SUT sampling temperature (default 0.8 with n > 1, else 0)', Number)
  .option('--seed <s>', 'seed of completion 0; completion i uses seed + i (default 0)', Number)
  .option('--max-tokens <n>', 'output token limit of each completion (default 1024)', positiveInteger)
  .option('--max-cost <usd>', 'refuse a generate run whose estimated cost is above this', Number)
  .option('--baseline', 'the SUT is an open-weight baseline (may run compressed, recorded in the manifest)', false)
  .option(
    '--anchors <file>',
    'a JSON array of anchor answers for every text sample with a reference and none of its own',
  )
  .option('--batch', "generate through the SUT endpoint's OpenAI Batch API (24 h window, batch price)", false)
  .option('--json', 'print the result as JSON', false)
  .action(async (files: string[], options) => {
    await (await import('./commands/enqueue.ts')).enqueueCommand(files, options);
  });

program
  .command('best-of-n')
  .description(
    'best-of-n per task of a graded run: rank candidates by score, judge the close top ones pairwise (a RUN-tournament run), write the choice',
  )
  .argument('<run>', 'a graded pointwise run with several samples per task (e.g. from kind: candidates lines)')
  .option('--margin <points>', 'candidates within this score of the best contend', nonNegativeNumber, 0.1)
  .option('--top <n>', 'at most this many contenders per task', positiveInteger, 3)
  .option('--rubric <name@version>', 'pairwise rubric of the tournament (default: pairwise-preference@1.0.0)')
  .option('--rubrics-dir <dir>', 'rubric library', join(ROOT, 'rubrics'))
  .option('--timeout <seconds>', 'give up waiting for the tournament after this long (exit 124)', positiveNumber)
  .option('--out <file>', 'where to write the choices (default: GAVEL_DATA_DIR/best-of-n/RUN.jsonl)')
  .action(async (run: string, options) => {
    await (await import('./commands/best-of-n.ts')).bestOfNCommand(run, options);
  });

program
  .command('ab')
  .description(
    'a pairwise run of two runs of the same tasks: A the base output, B the candidate, judged in both orders',
  )
  .argument('<base>', 'base run id (A)')
  .argument('<candidate>', 'candidate run id (B)')
  .option('--run <id>', 'run id of the pairwise run (default: generated)')
  .option('--rubric <name@version>', 'pairwise rubric to pin (default: pairwise-preference@1.0.0)')
  .option('--rubrics-dir <dir>', 'rubric library', join(ROOT, 'rubrics'))
  .option('--out <file>', 'where to write the pair dataset (default: GAVEL_DATA_DIR/ab/BASE-vs-CANDIDATE.jsonl)')
  .option('--json', 'print the result as JSON', false)
  .action(async (base: string, candidate: string, options) => {
    await (await import('./commands/ab.ts')).abCommand(base, candidate, options);
  });

program
  .command('status')
  .description('where each stage of a run stands')
  .argument('<run>')
  .option('--json', 'print JSON', false)
  .action(async (run: string, options) => (await import('./commands/status.ts')).statusCommand(run, options));

program
  .command('wait')
  .description('wait until every sample of a run has a verdict or a recorded failure')
  .argument('<run>')
  .option('--timeout <seconds>', 'give up after this long (exit 124)', positiveNumber)
  .option('--interval <ms>', 'poll interval', positiveNumber, 500)
  .action(async (run: string, options) => (await import('./commands/wait.ts')).waitCommand(run, options));

program
  .command('export')
  .description('one JSON object per sample (facts, verdict, route, rubric, trace id), or the review matrix as CSV')
  .argument('<run>')
  .addOption(
    new Option('--format <format>', 'jsonl: one export record a line; csv: the review matrix, one row per sample')
      .choices(['jsonl', 'csv'])
      .default('jsonl'),
  )
  .option('--out <file>', 'write to a file instead of stdout')
  .option('--page-size <n>', 'samples read per round trip', positiveNumber, 500)
  .action(async (run: string, options) => (await import('./commands/export.ts')).exportCommand(run, options));

program
  .command('review')
  .description('the review matrix of a run as one self-contained HTML file (and CSV, JUnit XML)')
  .argument('<run>', 'run id (or, with --from-export, a gavel export file)')
  .option('--against <base>', 'compare with this base run: figures, decision, deltas and flips')
  .option('--out <file>', 'HTML file to write (default: gavel-review-RUN.html)')
  .option('--csv <file>', 'also write the matrix as CSV')
  .option('--junit <file>', 'also write the run as JUnit XML (one testcase per sample)')
  .option('--from-export', 'RUN and BASE are gavel export files (JSONL, manifest beside), not runs in Redis', false)
  .option(
    '--images-from-store',
    "with --from-export: embed the pairs' images from the image store in Redis (an export holds only their sha256)",
    false,
  )
  .option('--allow-rubric-change', 'compare runs graded on different rubrics (marked not like for like)', false)
  .action(async (run: string, options) => (await import('./commands/review.ts')).reviewCommand(run, options));

program
  .command('compare')
  .description('pair two runs sample by sample: paired statistics, flips, silent drift and a ship decision')
  .argument('<base>', 'base run id (or, with --from-export, its gavel export file)')
  .argument('<candidate>', 'candidate run id (or, with --from-export, its gavel export file)')
  .option('--json', 'print the comparison as JSON', false)
  .option('--out <dir>', 'also write comparison.json and comparison.txt into this directory')
  .option('--max-drop <pts>', 'exit 3 unless a pass-rate drop of more than PTS points is ruled out', parseMaxDrop)
  .option('--seed <n>', 'recorded in the comparison (no figure resamples)', parseSeed)
  .option('--allow-rubric-change', 'compare runs graded on different rubrics (marked not like for like)', false)
  .option('--allow-draft', 'compare runs graded on a draft rubric (not frozen through the gates)', false)
  .option('--from-export', 'BASE and CANDIDATE are gavel export files (manifest beside), not runs in Redis', false)
  .action(async (base: string, candidate: string, options) =>
    (await import('./commands/compare.ts')).compareCommand(base, candidate, options),
  );

program
  .command('report')
  .description("a run's outcomes, routing, arbitration and arbiter cost beside on-demand uncached")
  .argument('<run>')
  .option('--json', 'print JSON', false)
  .action(async (run: string, options) => (await import('./commands/report.ts')).reportCommand(run, options));

const runs = program
  .command('runs')
  .description('list runs; `runs rm RUN` and `runs prune` delete them')
  .option('--json', 'print JSON lines', false)
  .action(async (options) => (await import('./commands/runs.ts')).runsCommand(options));

runs
  .command('rm')
  .description('delete runs: their jobs in every queue and their run-store keys (refused while a job is active)')
  .argument('<runs...>')
  .option('--force', 'remove even while jobs of the run are active', false)
  .option('--json', 'print JSON lines', false)
  // `--json` after the subcommand is parsed as the parent's own `runs --json`: honour either.
  .action(async (ids: string[], options) =>
    (await import('./commands/runs-rm.ts')).runsRmCommand(ids, { ...options, json: options.json || runs.opts().json }),
  );

runs
  .command('prune')
  .description('delete runs created more than DAYS ago (default GAVEL_RETENTION_DAYS) that have no job left')
  .option('--older-than <days>', 'age in days', positiveNumber)
  .option('--dry-run', 'only say which runs would go', false)
  .option('--json', 'print JSON lines', false)
  .action(async (options) =>
    (await import('./commands/runs-prune.ts')).runsPruneCommand({ ...options, json: options.json || runs.opts().json }),
  );

program
  .command('reconcile')
  .description('give every undecided sample that has no job in any queue its next-stage job (from the run store)')
  .argument('<run>')
  .option('--dry-run', 'only count', false)
  .option('--json', 'print JSON', false)
  .action(async (run: string, options) => (await import('./commands/reconcile.ts')).reconcileCommand(run, options));

program
  .command('migrate')
  .description('move a single Redis from the key layout before per-run hash tags (stop every gavel process first)')
  .option('--from-queue-prefix <prefix>', 'BullMQ prefix of the old queues', '{gavel}')
  .option('--json', 'print JSON', false)
  .action(async (options) => (await import('./commands/migrate.ts')).migrateCommand(options));

program
  .command('retry')
  .description("retry a run's failed jobs; each sample continues down the pipeline")
  .argument('<run>')
  .option('--stage <stage>', 'only this stage')
  .action(async (run: string, options) => (await import('./commands/retry.ts')).retryCommand(run, options));

program
  .command('workers')
  .description('run every stage worker as its own process, in the foreground')
  .option('--stages <list>', 'comma-separated stages (default: all four)')
  .option('--concurrency <n>', 'jobs per worker (sets GAVEL_CONCURRENCY)', positiveNumber)
  .action(async (options) => (await import('./commands/workers.ts')).workersCommand(options));

program
  .command('board')
  .description('serve Bull Board over the four stage queues (127.0.0.1:3030 unless configured)')
  .option('--host <host>', 'listen address (sets GAVEL_BOARD_HOST; off loopback credentials are required)')
  .option('--port <port>', 'listen port (sets GAVEL_BOARD_PORT; 0 picks a free one)', Number)
  .action(async (options) => (await import('./commands/board.ts')).boardCommand(options));

program
  .command('serve')
  .description('serve the HTTP API over runs (127.0.0.1:3040 unless configured; OpenAPI at /openapi.json)')
  .option('--host <host>', 'listen address (sets GAVEL_API_HOST; off loopback GAVEL_API_TOKEN is required)')
  .option('--port <port>', 'listen port (sets GAVEL_API_PORT; 0 picks a free one)', Number)
  .action(async (options) => (await import('./commands/serve.ts')).serveCommand(options));

program
  .command('verify')
  .description('re-derive what a finished run recorded and name the sample and field of every mismatch (exit 4)')
  .argument('<run>')
  .option('--dataset <files...>', 'dataset file(s), in enqueue order, to hash against the manifest')
  .option(
    '--judge-sample <n>',
    'ask this many LLM-judged samples again of the pinned judge (GAVEL_JUDGE_URL)',
    positiveInteger,
  )
  .option('--rubrics-dir <dir>', 'rubric library whose lock file and files are checked', join(ROOT, 'rubrics'))
  .option('--json', 'print JSON', false)
  .action(async (run: string, options) => (await import('./commands/verify.ts')).verifyCommand(run, options));

rubricCommands(program, join(ROOT, 'rubrics'));

program
  .command('doctor')
  .description(
    "check Redis (reachable, noeviction, AOF), the Docker engine, the sandbox image and (with GAVEL_DESIGN_MODELS) the design layer's Ollama",
  )
  .action(async () => (await import('./commands/doctor.ts')).doctorCommand());

program
  .command('demo')
  .description('run the bundled demo end to end and print where the results are')
  .option('--rubrics-dir <dir>', 'rubric library', join(ROOT, 'rubrics'))
  .option('--timeout <seconds>', 'give up after this long', positiveNumber, 300)
  .action(async (options) => (await import('./commands/demo.ts')).demoCommand(options));

try {
  await program.parseAsync(process.argv);
} catch (thrown) {
  const error = asUnreachable(thrown) ?? thrown;
  if (error instanceof CliError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(error.exitCode);
  }
  if (error instanceof ConfigError) {
    process.stderr.write(`gavel: ${error.message}\n`);
    process.exit(EXIT_CONFIG);
  }
  if (error instanceof InputError) {
    process.stderr.write(`gavel: ${error.message}\n`);
    process.exit(1);
  }
  throw error;
}
