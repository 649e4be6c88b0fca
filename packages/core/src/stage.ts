/** The closed set of pipeline stages, in flow order. */
export const STAGES = ['generate', 'sandbox', 'judge', 'arbiter-submit', 'arbiter-collect'] as const;
export type Stage = (typeof STAGES)[number];

/** Queue name of each stage (its BullMQ prefix, with the queue's hash tag, is `stageQueuePrefix`). */
export const QUEUE_NAMES: Readonly<Record<Stage, string>> = {
  generate: 'generate',
  sandbox: 'sandbox',
  judge: 'judge',
  'arbiter-submit': 'arbiter-submit',
  'arbiter-collect': 'arbiter-collect',
};

export function isStage(value: string): value is Stage {
  return (STAGES as readonly string[]).includes(value);
}

export function assertExhaustive(value: never, message = 'unexpected value'): never {
  throw new Error(`${message}: ${JSON.stringify(value)}`);
}
