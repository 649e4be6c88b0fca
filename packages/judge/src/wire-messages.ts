import type { ChatMessage } from './prompt-layout.ts';

/** An OpenAI-style content part (vLLM's `/v1/chat/completions` and `/tokenize`). */
export type OpenAiPart = { type: 'text'; text: string } | { type: 'image_url'; image_url: { url: string } };

/**
 * Messages on the OpenAI wire, as vLLM takes them: text stays a string; images become `image_url`
 * parts with `data:` URLs (vLLM serves them without fetching anything; the server must be started
 * with room for them: `--limit-mm-per-prompt '{"image": N}'`).
 */
export function openAiMessages(messages: readonly ChatMessage[]): { role: string; content: string | OpenAiPart[] }[] {
  return messages.map((m) => ({
    role: m.role,
    content:
      typeof m.content === 'string'
        ? m.content
        : m.content.map(
            (p): OpenAiPart =>
              p.type === 'text'
                ? { type: 'text', text: p.text }
                : { type: 'image_url', image_url: { url: `data:${p.media_type};base64,${p.base64}` } },
          ),
  }));
}

/**
 * Messages on Ollama's native `/api/chat` wire: the text of a message in `content` with `[image N]`
 * where the N-th image stood, its images as raw base64 (no data-URL prefix) in `images`, in order.
 */
export function ollamaMessages(
  messages: readonly ChatMessage[],
): { role: string; content: string; images?: string[] }[] {
  return messages.map((m) => {
    if (typeof m.content === 'string') return { role: m.role, content: m.content };
    const images = m.content.flatMap((p) => (p.type === 'image' ? [p.base64] : []));
    // The text says where each image stood: "[image 1]" is the first of `images`.
    let n = 0;
    const content = m.content.map((p) => (p.type === 'text' ? p.text : `[image ${++n}]`)).join('');
    return images.length > 0 ? { role: m.role, content, images } : { role: m.role, content };
  });
}
