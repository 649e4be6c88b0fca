import { ConfigError } from './errors.ts';

/** Exit status for bad configuration (sysexits EX_CONFIG). */
export const EXIT_CONFIG = 78;

/**
 * Runs a process's start-up; a {@link ConfigError} stops it with one clear line on stderr and
 * exit status 78, anything else with its stack and status 1.
 */
export async function runMain(name: string, main: () => Promise<unknown>): Promise<void> {
  try {
    await main();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${name}: ${error.message}\n`);
      process.exit(EXIT_CONFIG);
    }
    process.stderr.write(`${name}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  }
}
