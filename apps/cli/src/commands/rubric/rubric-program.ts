import { type Command, InvalidArgumentError } from 'commander';
import { positiveInteger } from '../../program/option-parsers.ts';

// Each subcommand's module loads only when it runs (as main.ts does for the other commands).

function share(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || n > 1) throw new InvalidArgumentError('must be a number in (0, 1]');
  return n;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** `gavel rubric …`: the rubric lifecycle (draft → gates → freeze). */
export function rubricCommands(program: Command, defaultRubricsDir: string): void {
  const rubric = program
    .command('rubric')
    .description('rubric lifecycle: list, show, check the four gates, freeze, privatize');

  const gateOptions = (c: Command) =>
    c
      .requiredOption(
        '--calibration <file>',
        'labelled samples (native JSONL, each with "label": "good" | "bad"; pair samples: "a" | "b", the better side)',
      )
      .option(
        '--adversarial <file>',
        'more attack samples (each with "attack": NAME), besides the shipped suite',
        collect,
      )
      .option(
        '--public <source>',
        'a public source to check overlap against, besides the shipped HumanEval index',
        collect,
      )
      .option('--eval <file>', 'the eval set whose tasks must not be public (JSONL with "prompt")', collect)
      .option('--ngram <n>', 'n of the n-gram overlap', positiveInteger, 13)
      .option('--threshold <share>', 'share of a task covered by public n-grams that flags it public', share, 0.5)
      .option('--timeout <seconds>', 'give up waiting for the calibration run after this long', positiveInteger, 1800)
      .option('--rubrics-dir <dir>', 'rubric library', defaultRubricsDir);

  gateOptions(
    rubric
      .command('check')
      .description(
        'run the four gates (discriminative, adversarial, contamination, pinned) through the pipeline; exit 0 only when all pass',
      )
      .argument('[rubric]', 'ID@VERSION in the library'),
  )
    .option('--rubric-file <path>', 'a draft rubric at any path')
    .option('--out <file>', 'write the gate report (JSON) here')
    .option('--json', 'print the gate report as JSON', false)
    .action(async (spec: string | undefined, options) =>
      (await import('./rubric-check.ts')).rubricCheckCommand(spec, options),
    );

  gateOptions(
    rubric
      .command('freeze')
      .description('run the gates on the library file and, only if all pass, write its gate report and lock entry')
      .argument('<rubric>', 'ID@VERSION in the library'),
  ).action(async (spec: string, options) =>
    (await import('./rubric-freeze.ts')).rubricFreezeCommand(spec, { ...options, json: false }),
  );

  rubric
    .command('privatize')
    .description('rebuild HumanEval-style problems as private tasks (renamed, new examples) in the sandbox image')
    .argument('<file>', 'HumanEval problems (JSONL[.gz], with canonical_solution)')
    .requiredOption('--out <file>', 'where the rebuilt problems go')
    .option('--mapping <file>', 'where the name mapping goes (default OUT.mapping.jsonl)')
    .option('--public <source>', 'another public source for the overlap re-check', collect)
    .option('--ngram <n>', 'n of the n-gram overlap', positiveInteger, 13)
    .option('--threshold <share>', 'overlap share that flags a task public', share, 0.5)
    .option('--timeout <seconds>', 'limit of the sandbox container', positiveInteger, 300)
    .option('--rubrics-dir <dir>', 'rubric library', defaultRubricsDir)
    .action(async (file: string, options) =>
      (await import('./rubric-privatize.ts')).rubricPrivatizeCommand(file, options),
    );

  rubric
    .command('new')
    .description('scaffold a draft (front-matter criteria and a text skeleton long enough to be cached)')
    .argument('<id>', 'kebab-case rubric id')
    .option('--kind <kind>', 'code or text')
    .option('--from <rubric>', 'start from the text of ID@VERSION')
    .option('--out <file>', 'write here instead of <rubrics-dir>/<id>/<version>.md')
    .option('--rubrics-dir <dir>', 'rubric library', defaultRubricsDir)
    .action(async (id: string, options) => (await import('./rubric-new.ts')).rubricNewCommand(id, options));

  rubric
    .command('try')
    .description('grade one sample now (sandbox facts, then the configured judge): no queue, no run')
    .argument('[rubric]', 'ID@VERSION in the library')
    .option('--rubric-file <path>', 'a draft rubric at any path')
    .requiredOption('--sample <file[:line]>', 'a native JSONL sample (calibration lines work too)')
    .option('--rubrics-dir <dir>', 'rubric library', defaultRubricsDir)
    .option('--json', 'print {facts, verdict} as JSON', false)
    .action(async (spec: string | undefined, options) =>
      (await import('./rubric-try.ts')).rubricTryCommand(spec, options),
    );

  rubric
    .command('diff')
    .description('what changed between two rubrics: front matter and criteria, then the text')
    .argument('<a>', 'ID@VERSION or a file')
    .argument('<b>', 'ID@VERSION or a file')
    .option('--rubrics-dir <dir>', 'rubric library', defaultRubricsDir)
    .action(async (a: string, b: string, options) =>
      (await import('./rubric-diff.ts')).rubricDiffCommand(a, b, options),
    );

  rubric
    .command('list')
    .description('every rubric in the library: id, version, state, hash, gates, frozen at')
    .option('--rubrics-dir <dir>', 'rubric library', defaultRubricsDir)
    .option('--json', 'print JSON lines', false)
    .action(async (options) => (await import('./rubric-list.ts')).rubricListCommand(options));

  rubric
    .command('show')
    .description('a rubric file and its lock entry')
    .argument('<rubric>', 'ID@VERSION')
    .option('--rubrics-dir <dir>', 'rubric library', defaultRubricsDir)
    .action(async (spec: string, options) => (await import('./rubric-list.ts')).rubricShowCommand(spec, options));
}
