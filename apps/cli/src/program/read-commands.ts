import { join } from 'node:path';
import { type Command, Option } from 'commander';
import { parseMaxDrop, parseSeed } from '../commands/compare-options.ts';
import { positiveInteger, positiveNumber } from './option-parsers.ts';

/** Commands that read runs: status, wait, export, review, compare, report, runs, verify. */
export function readCommands(program: Command, root: string): void {
  program
    .command('status')
    .description('where each stage of a run stands')
    .argument('<run>')
    .option('--json', 'print JSON', false)
    .action(async (run: string, options) => (await import('../commands/status.ts')).statusCommand(run, options));

  program
    .command('wait')
    .description('wait until every sample of a run has a verdict or a recorded failure')
    .argument('<run>')
    .option('--timeout <seconds>', 'give up after this long (exit 124)', positiveNumber)
    .option('--interval <ms>', 'poll interval', positiveNumber, 500)
    .action(async (run: string, options) => (await import('../commands/wait.ts')).waitCommand(run, options));

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
    .action(async (run: string, options) => (await import('../commands/export.ts')).exportCommand(run, options));

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
    .action(async (run: string, options) => (await import('../commands/review.ts')).reviewCommand(run, options));

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
      (await import('../commands/compare.ts')).compareCommand(base, candidate, options),
    );

  program
    .command('report')
    .description("a run's outcomes, routing, arbitration and arbiter cost beside on-demand uncached")
    .argument('<run>')
    .option('--json', 'print JSON', false)
    .action(async (run: string, options) => (await import('../commands/report.ts')).reportCommand(run, options));

  const runs = program
    .command('runs')
    .description('list runs; `runs rm RUN` and `runs prune` delete them')
    .option('--json', 'print JSON lines', false)
    .action(async (options) => (await import('../commands/runs.ts')).runsCommand(options));

  runs
    .command('rm')
    .description('delete runs: their jobs in every queue and their run-store keys (refused while a job is active)')
    .argument('<runs...>')
    .option('--force', 'remove even while jobs of the run are active', false)
    .option('--json', 'print JSON lines', false)
    // `--json` after the subcommand is parsed as the parent's own `runs --json`: honour either.
    .action(async (ids: string[], options) =>
      (await import('../commands/runs-rm.ts')).runsRmCommand(ids, {
        ...options,
        json: options.json || runs.opts().json,
      }),
    );

  runs
    .command('prune')
    .description('delete runs created more than DAYS ago (default GAVEL_RETENTION_DAYS) that have no job left')
    .option('--older-than <days>', 'age in days', positiveNumber)
    .option('--dry-run', 'only say which runs would go', false)
    .option('--json', 'print JSON lines', false)
    .action(async (options) =>
      (await import('../commands/runs-prune.ts')).runsPruneCommand({
        ...options,
        json: options.json || runs.opts().json,
      }),
    );

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
    .option('--rubrics-dir <dir>', 'rubric library whose lock file and files are checked', join(root, 'rubrics'))
    .option('--json', 'print JSON', false)
    .action(async (run: string, options) => (await import('../commands/verify.ts')).verifyCommand(run, options));
}
