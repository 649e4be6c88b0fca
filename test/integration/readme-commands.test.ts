import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { gavel, ROOT } from '../support/gavel.ts';

// README documents every command the CLI has, and every option of each (its usage block or the
// section on the command): a new command or flag without a README line fails here.

function section(help: string, title: string, next?: string): string {
  const start = help.indexOf(`${title}:`);
  if (start < 0) return '';
  const rest = help.slice(start + title.length + 1);
  const end = next === undefined ? -1 : rest.indexOf(`${next}:`);
  return end < 0 ? rest : rest.slice(0, end);
}

const commandsOf = (help: string) =>
  [...section(help, 'Commands').matchAll(/^ {2}([a-z][\w-]*)/gm)]
    .map((m) => m[1] as string)
    .filter((n) => n !== 'help');

const optionsOf = (help: string) =>
  [...section(help, 'Options', 'Commands').matchAll(/--([a-z][\w-]*)/g)]
    .map((m) => m[1] as string)
    .filter((o) => o !== 'help' && o !== 'version');

async function help(args: string[]): Promise<string> {
  const result = await gavel([...args, '--help'], {});
  expect(result.code, result.stderr).toBe(0);
  return result.stdout;
}

describe('README documents the CLI', () => {
  it('names every command as `gavel <command>` and every option of every command and subcommand', async () => {
    const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
    const missing: string[] = [];
    const top = commandsOf(await help([]));
    expect(top).toContain('enqueue');
    expect(top).toContain('rubric');
    for (const command of top) {
      if (!readme.includes(`gavel ${command}`)) missing.push(`gavel ${command}`);
      const text = await help([command]);
      for (const option of optionsOf(text)) if (!readme.includes(`--${option}`)) missing.push(`${command} --${option}`);
      for (const sub of commandsOf(text)) {
        const subText = await help([command, sub]);
        for (const option of optionsOf(subText))
          if (!readme.includes(`--${option}`)) missing.push(`${command} ${sub} --${option}`);
      }
    }
    expect(missing).toEqual([]);
  });
});
