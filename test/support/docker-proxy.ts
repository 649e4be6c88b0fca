import { rm } from 'node:fs/promises';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A stand-in for a hung Docker engine, on a unix socket of its own: it passes every request through to
 * the real engine (`/var/run/docker.sock`) byte for byte, except that a request whose first line matches
 * `hang` is swallowed — the connection stays open and never gets an answer, as from an engine that hangs
 * (with no `hang`, every request hangs: an engine that accepts and never answers).
 */
export interface HungDockerEngine {
  /** `unix://…` for GAVEL_DOCKER_HOST. */
  url: string;
  /** Requests swallowed so far (their first lines). */
  swallowed: string[];
  stop(): Promise<void>;
}

export async function startHungDockerEngine(
  hang: RegExp | null = null,
  upstream = '/var/run/docker.sock',
): Promise<HungDockerEngine> {
  const path = join(tmpdir(), `gavel-hung-docker-${process.pid}-${Date.now().toString(36)}.sock`);
  const swallowed: string[] = [];
  const sockets = new Set<Socket>();
  // Half-open both ways, as the engine is: a hijacked attach half-closes stdin and still reads stdout.
  const server: Server = createServer({ allowHalfOpen: true }, (client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => {});
    let hung = false;
    let engine: Socket | null = null;
    client.on('data', (chunk: Buffer) => {
      if (hung) return;
      const first = chunk.toString('latin1').split('\r\n', 1)[0] ?? '';
      if (hang === null || (/^[A-Z]+ \//.test(first) && hang.test(first))) {
        hung = true;
        swallowed.push(first);
        engine?.unpipe(client);
        engine?.destroy();
        return;
      }
      if (!engine) {
        engine = createConnection({ path: upstream, allowHalfOpen: true });
        sockets.add(engine);
        engine.on('error', () => {});
        engine.on('close', () => {
          if (!hung) client.destroy();
        });
        engine.pipe(client);
      }
      engine.write(chunk);
    });
    client.on('end', () => {
      if (!hung) engine?.end();
    });
    client.on('close', () => engine?.destroy());
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return {
    url: `unix://${path}`,
    swallowed,
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(path, { force: true });
    },
  };
}
