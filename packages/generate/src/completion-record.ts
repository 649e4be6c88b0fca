import type { Completion } from '@gavel/core';
import { completionText } from './completion-text.ts';
import type { SutReply } from './sut-client.ts';

/** Prices of the SUT's tokens in USD per million (the cost booked with each completion). */
export interface SutPrice {
  input_per_mtok: number;
  output_per_mtok: number;
  /** Share of the price a batch request pays. @default 0.5 */
  batch?: number;
}

/**
 * A completion as stored, from the SUT's reply; its cost from the returned usage at the SUT's
 * price (a batch pays the price's batch share, 50% unless the table says otherwise).
 */
export function toCompletion(
  reply: SutReply,
  via: Completion['via'],
  requests: number,
  price: SutPrice | undefined,
): Completion {
  const share = via === 'batch' ? (price?.batch ?? 0.5) : 1;
  const choice = reply.choices[0];
  const raw = choice?.message.content ?? '';
  const finish = choice?.finish_reason ?? null;
  const usage = reply.usage ?? null;
  return {
    text: completionText(raw),
    raw,
    finish_reason: finish,
    truncated: finish === 'length',
    usage,
    model: reply.model,
    via,
    requests,
    cost_usd:
      price && usage
        ? ((usage.prompt_tokens * price.input_per_mtok + usage.completion_tokens * price.output_per_mtok) / 1_000_000) *
          share
        : null,
    at: new Date().toISOString(),
  };
}
