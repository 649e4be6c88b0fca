import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { registerSdTarget, type SdRegistration, type SdTarget } from './prom-sd-dir.ts';

export interface MetricsServerOptions {
  registry: Registry;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Prometheus file_sd directory to register in, one file per process (GAVEL_PROM_SD_DIR). */
  sdDir?: string;
  job: string;
}

export interface MetricsServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Serves `/metrics` (loopback by default) and registers the endpoint in the file_sd directory until close(). */
export async function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  const host = options.host ?? '127.0.0.1';
  const server = createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    options.registry.metrics().then(
      (body) => res.writeHead(200, { 'content-type': options.registry.contentType }).end(body),
      (error: Error) => res.writeHead(500).end(error.message),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, resolve);
  });
  const port = (server.address() as AddressInfo).port;
  const hostPort = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  const entry: SdTarget = { targets: [hostPort], labels: { job: options.job } };
  const registration: SdRegistration | undefined = options.sdDir
    ? await registerSdTarget(options.sdDir, entry)
    : undefined;
  return {
    url: `http://${hostPort}/metrics`,
    port,
    async close() {
      await registration?.remove();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * A registry with only the process's own metrics (CPU, memory, event loop lag, GC), named
 * `<prefix>process_…`/`<prefix>nodejs_…`: for a process with no gavel catalog of its own (the board).
 */
export function createProcessRegistry(prefix: string): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix });
  return registry;
}
