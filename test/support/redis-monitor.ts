import { connect } from 'node:net';

/** One command as Redis's MONITOR reports it: the arguments, unescaped, the command name first. */
export interface MonitoredCommand {
  args: string[];
  source: string;
}

export interface RedisMonitor {
  stop(): void;
}

/**
 * Watches every command a Redis server runs (scripts' own calls included) through MONITOR on a
 * socket of its own. Not ioredis's `monitor()`: it switches to monitoring mode one microtask after
 * the MONITOR's `+OK`, so a report that arrives in the same read as that `+OK` is taken for a
 * command's reply, and the connection fails with "Command queue state error" (redis/ioredis#1981,
 * taskforcesh/bullmq#2505). Here every line after the `+OK` is a report. Resolves once Redis has
 * answered `+OK`: every command run after that reaches `onCommand`.
 */
export async function monitorRedis(url: string, onCommand: (command: MonitoredCommand) => void): Promise<RedisMonitor> {
  const { hostname, port } = new URL(url);
  const socket = connect({ host: hostname.replace(/^\[|\]$/g, ''), port: Number(port) });
  let buffered = '';
  let started = false;
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.once('close', () => {
      if (!started) reject(new Error(`MONITOR: ${url} closed the connection before answering`));
    });
    socket.once('connect', () => socket.write('*1\r\n$7\r\nMONITOR\r\n'));
    socket.setEncoding('latin1');
    socket.on('data', (data: string) => {
      buffered += data;
      let at = 0;
      for (let end = buffered.indexOf('\r\n'); end >= 0; end = buffered.indexOf('\r\n', at)) {
        const line = buffered.slice(at, end);
        at = end + 2;
        if (started) {
          onCommand(parseMonitorLine(line));
          continue;
        }
        if (line !== '+OK') {
          socket.destroy();
          reject(new Error(`MONITOR refused: ${line}`));
          return;
        }
        started = true;
        socket.off('error', reject);
        socket.on('error', () => {});
        resolve({ stop: () => socket.destroy() });
      }
      buffered = buffered.slice(at);
    });
  });
}

/**
 * Parses one MONITOR report: `+<unix time> [<db> <client address>] "<arg>" "<arg>" …`, each argument
 * quoted and escaped as Redis's sdscatrepr writes it (`\\`, `\"`, `\n`, `\r`, `\t`, `\a`, `\b`,
 * `\xHH` for other bytes outside printable ASCII). Arguments come back as latin1 strings, a byte
 * each. The leading `+` (RESP's simple string) is optional: redis-cli prints the reports without it.
 */
export function parseMonitorLine(line: string): MonitoredCommand {
  const header = /^\+?\d+\.\d+ \[(?:\d+ )?([^\]]*)\] /.exec(line);
  if (!header) throw new Error(`not a MONITOR report: ${line}`);
  const args: string[] = [];
  let at = header[0].length;
  while (at < line.length) {
    if (line[at] !== '"') throw new Error(`MONITOR report: expected '"' at ${at}: ${line}`);
    at += 1;
    let arg = '';
    while (line[at] !== '"') {
      if (at >= line.length) throw new Error(`MONITOR report: unterminated argument: ${line}`);
      const char = line[at] as string;
      if (char !== '\\') {
        arg += char;
        at += 1;
        continue;
      }
      const next = line[at + 1];
      if (next === 'x') {
        arg += String.fromCharCode(Number.parseInt(line.slice(at + 2, at + 4), 16));
        at += 4;
        continue;
      }
      arg += ESCAPES[next as string] ?? next;
      at += 2;
    }
    args.push(arg);
    at += 1;
    if (line[at] === ' ') at += 1;
  }
  return { args, source: header[1] as string };
}

const ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', a: '\x07', b: '\b', '\\': '\\', '"': '"' };
