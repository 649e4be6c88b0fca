import { InvalidArgumentError } from 'commander';

/** `--max-drop PTS`: a margin in percentage points, 0 to 100. */
export function parseMaxDrop(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 100) {
    throw new InvalidArgumentError('must be a number of percentage points between 0 and 100');
  }
  return n;
}

/** `--seed N`: an integer. */
export function parseSeed(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isSafeInteger(n)) throw new InvalidArgumentError('must be an integer');
  return n;
}
