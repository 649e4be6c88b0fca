import { ConfigError } from '@gavel/core';
import type { SutConfig } from './sut-config.ts';
import type { SutMessage } from './sut-prompt.ts';

/**
 * Counts each prompt's tokens with the server's own tokenizer (vLLM's `POST /tokenize`, chat form),
 * at most `parallel` at a time; undefined when the server has no such endpoint (404/405: OpenAI,
 * Ollama), so the caller approximates. Any other failure is a `ConfigError`: the budget guard must
 * not guess when the server it was told to ask is broken — except, with `unreachable: 'approximate'`,
 * a server that cannot be reached at all (a SUT the gpu-agent starts only once generate jobs wait).
 */
export async function countWithTokenizer(
  config: Pick<SutConfig, 'url' | 'model' | 'apiKey'>,
  prompts: readonly SutMessage[][],
  options: { signal: AbortSignal; parallel?: number; timeoutMs?: number; unreachable?: 'refuse' | 'approximate' },
): Promise<number[] | undefined> {
  let unreachable = false;
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (config.apiKey) headers.authorization = `Bearer ${config.apiKey}`;
  const countOne = async (messages: SutMessage[]): Promise<number | undefined> => {
    let response: Response;
    try {
      response = await fetch(`${config.url}/tokenize`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ model: config.model, messages, add_generation_prompt: true }),
        signal: AbortSignal.any([options.signal, AbortSignal.timeout(options.timeoutMs ?? 30_000)]),
      });
    } catch (error) {
      if (options.unreachable === 'approximate' && !options.signal.aborted) {
        unreachable = true;
        return undefined;
      }
      throw new ConfigError(`SUT at ${config.url}: POST /tokenize: ${(error as Error).message}`);
    }
    if (response.status === 404 || response.status === 405) return undefined;
    const text = await response.text();
    if (!response.ok)
      throw new ConfigError(`SUT at ${config.url}: POST /tokenize: HTTP ${response.status} ${text.slice(0, 200)}`);
    const count = (JSON.parse(text) as { count?: unknown }).count;
    if (typeof count !== 'number')
      throw new ConfigError(`SUT at ${config.url}: POST /tokenize answered without a count`);
    return count;
  };
  const first = prompts[0];
  if (first === undefined) return [];
  const head = await countOne(first);
  if (head === undefined || unreachable) return undefined;
  const counts: number[] = new Array(prompts.length);
  counts[0] = head;
  let next = 1;
  const lane = async (): Promise<void> => {
    for (let i = next++; i < prompts.length; i = next++) {
      const count = await countOne(prompts[i] as SutMessage[]);
      if (count === undefined) throw new ConfigError(`SUT at ${config.url}: POST /tokenize stopped answering`);
      counts[i] = count;
    }
  };
  await Promise.all(Array.from({ length: options.parallel ?? 8 }, lane));
  return counts;
}
