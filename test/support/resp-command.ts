/**
 * One RESP array of bulk strings (a client's command, an AOF entry) read at `at` in `buffer`: its
 * arguments and where the next one begins, or undefined while it is not whole (more bytes to come,
 * or a command half written when its writer was killed).
 */
export function readRespCommand(buffer: Buffer, at = 0): { args: string[]; next: number } | undefined {
  const line = (from: number): { text: string; next: number } | undefined => {
    const end = buffer.indexOf('\r\n', from);
    return end < 0 ? undefined : { text: buffer.toString('latin1', from, end), next: end + 2 };
  };
  const head = line(at);
  if (!head) return undefined;
  if (!head.text.startsWith('*')) throw new Error(`not a RESP array at byte ${at}: ${head.text.slice(0, 40)}`);
  const args: string[] = [];
  let next = head.next;
  for (let i = 0; i < Number(head.text.slice(1)); i += 1) {
    const size = line(next);
    if (!size) return undefined;
    const length = Number(size.text.slice(1));
    if (buffer.length < size.next + length + 2) return undefined;
    args.push(buffer.toString('utf8', size.next, size.next + length));
    next = size.next + length + 2;
  }
  return { args, next };
}
