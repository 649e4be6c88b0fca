import { join } from 'node:path';
import { type Command, Option } from 'commander';
import { nonNegativeNumber, positiveInteger, positiveNumber } from './option-parsers.ts';

/** Commands that make or change runs: enqueue, best-of-n, ab, reconcile, migrate, retry. */
export function runCommands(program: Command, root: string): void {
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
    .option('--rubrics-dir <dir>', 'rubric library', join(root, 'rubrics'))
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
      await (await import('../commands/enqueue.ts')).enqueueCommand(files, options);
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
    .option('--rubrics-dir <dir>', 'rubric library', join(root, 'rubrics'))
    .option('--timeout <seconds>', 'give up waiting for the tournament after this long (exit 124)', positiveNumber)
    .option('--out <file>', 'where to write the choices (default: GAVEL_DATA_DIR/best-of-n/RUN.jsonl)')
    .action(async (run: string, options) => {
      await (await import('../commands/best-of-n.ts')).bestOfNCommand(run, options);
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
    .option('--rubrics-dir <dir>', 'rubric library', join(root, 'rubrics'))
    .option('--out <file>', 'where to write the pair dataset (default: GAVEL_DATA_DIR/ab/BASE-vs-CANDIDATE.jsonl)')
    .option('--json', 'print the result as JSON', false)
    .action(async (base: string, candidate: string, options) => {
      await (await import('../commands/ab.ts')).abCommand(base, candidate, options);
    });

  program
    .command('reconcile')
    .description('give every undecided sample that has no job in any queue its next-stage job (from the run store)')
    .argument('<run>')
    .option('--dry-run', 'only count', false)
    .option('--json', 'print JSON', false)
    .action(async (run: string, options) => (await import('../commands/reconcile.ts')).reconcileCommand(run, options));

  program
    .command('migrate')
    .description('move a single Redis from the key layout before per-run hash tags (stop every gavel process first)')
    .option('--from-queue-prefix <prefix>', 'BullMQ prefix of the old queues', '{gavel}')
    .option('--json', 'print JSON', false)
    .action(async (options) => (await import('../commands/migrate.ts')).migrateCommand(options));

  program
    .command('retry')
    .description("retry a run's failed jobs; each sample continues down the pipeline")
    .argument('<run>')
    .option('--stage <stage>', 'only this stage')
    .action(async (run: string, options) => (await import('../commands/retry.ts')).retryCommand(run, options));
}
