/** The first fenced code block of a chat reply (```python … ```), or undefined when there is none. */
const FENCE = /```[ \t]*([A-Za-z0-9_+-]*)[ \t]*\r?\n([\s\S]*?)```/;

/**
 * What a chat model's reply contributes to the sample's output: the code of its first fenced block
 * when it has one (chat models wrap code in markdown), else the reply as it is. For a HumanEval
 * prompt the output is the problem's prompt followed by this text — the body of the function, or a
 * whole definition that replaces the prompt's docstring-only one.
 */
export function completionText(content: string): string {
  const fenced = FENCE.exec(content);
  if (!fenced) return content;
  const code = fenced[2] ?? '';
  return code.endsWith('\n') ? code : `${code}\n`;
}
