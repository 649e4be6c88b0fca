import { join } from 'node:path';
import type { Command } from 'commander';
import { positiveNumber } from './option-parsers.ts';

/** Commands that start processes or check the set-up: workers, board, serve, doctor, demo. */
export function processCommands(program: Command, root: string): void {
  program
    .command('workers')
    .description('run every stage worker as its own process, in the foreground')
    .option('--stages <list>', 'comma-separated stages (default: all four)')
    .option('--concurrency <n>', 'jobs per worker (sets GAVEL_CONCURRENCY)', positiveNumber)
    .action(async (options) => (await import('../commands/workers.ts')).workersCommand(options));

  program
    .command('board')
    .description('serve Bull Board over the four stage queues (127.0.0.1:3030 unless configured)')
    .option('--host <host>', 'listen address (sets GAVEL_BOARD_HOST; off loopback credentials are required)')
    .option('--port <port>', 'listen port (sets GAVEL_BOARD_PORT; 0 picks a free one)', Number)
    .action(async (options) => (await import('../commands/board.ts')).boardCommand(options));

  program
    .command('serve')
    .description('serve the HTTP API over runs (127.0.0.1:3040 unless configured; OpenAPI at /openapi.json)')
    .option('--host <host>', 'listen address (sets GAVEL_API_HOST; off loopback GAVEL_API_TOKEN is required)')
    .option('--port <port>', 'listen port (sets GAVEL_API_PORT; 0 picks a free one)', Number)
    .action(async (options) => (await import('../commands/serve.ts')).serveCommand(options));

  program
    .command('doctor')
    .description(
      "check Redis (reachable, noeviction, AOF), the Docker engine, the sandbox image and (with GAVEL_DESIGN_MODELS) the design layer's Ollama",
    )
    .action(async () => (await import('../commands/doctor.ts')).doctorCommand());

  program
    .command('demo')
    .description('run the bundled demo end to end and print where the results are')
    .option('--rubrics-dir <dir>', 'rubric library', join(root, 'rubrics'))
    .option('--timeout <seconds>', 'give up after this long', positiveNumber, 300)
    .action(async (options) => (await import('../commands/demo.ts')).demoCommand(options));
}
