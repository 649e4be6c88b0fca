import { join } from 'node:path';
import { ConfigError, EXIT_CONFIG, GAVEL_VERSION, InputError } from '@gavel/core';
import { Command } from 'commander';
import { CliError } from './cli-error.ts';
import { rubricCommands } from './commands/rubric/rubric-program.ts';
import { processCommands } from './program/process-commands.ts';
import { readCommands } from './program/read-commands.ts';
import { runCommands } from './program/run-commands.ts';
import { asUnreachable } from './redis-reach.ts';
import { REPO_ROOT as ROOT } from './repo-root.ts';

// Each command's module, and what it pulls in (BullMQ, Docker's client, the SDKs), loads only when
// that command runs: `gavel --version` or `gavel status` starts without the rest.

const program = new Command('gavel')
  .description('Grade AI output at dataset scale: sandbox facts → local judge → batch arbiter, on Redis queues.')
  .version(GAVEL_VERSION)
  .showHelpAfterError();

runCommands(program, ROOT);
readCommands(program, ROOT);
rubricCommands(program, join(ROOT, 'rubrics'));
processCommands(program, ROOT);

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
