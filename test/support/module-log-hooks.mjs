// Module customization hooks (run on Node's loader thread) for module-log.mjs.
import { appendFileSync } from 'node:fs';

export async function load(url, context, nextLoad) {
  const log = process.env.GAVEL_TEST_MODULE_LOG;
  if (log) appendFileSync(log, `${process.pid} ${url}\n`);
  return nextLoad(url, context);
}
