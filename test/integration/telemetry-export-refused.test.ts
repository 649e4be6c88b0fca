import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTelemetry, withSpan } from '@gavel/telemetry';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

let server: Server;
let endpoint: string;
let requests = 0;

beforeAll(async () => {
  // A collector that takes the request and refuses it (as one that does not speak JSON does).
  server = createServer((req, res) => {
    requests += 1;
    req.resume();
    req.on('end', () => res.writeHead(415).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('a collector that refuses the spans', () => {
  it('loses the spans, not the process: shutdown resolves and says so in one line', async () => {
    const writes: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      writes.push(String(chunk));
      return true;
    });
    try {
      // The exporter reads the endpoint from the process environment itself.
      Object.assign(process.env, { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' });
      const handle = startTelemetry({ serviceName: 'gavel-refused' });
      await withSpan('gavel.enqueue', { 'gavel.run_id': 'r' }, async () => {});
      await expect(handle.shutdown()).resolves.toBeUndefined();
    } finally {
      spy.mockRestore();
    }
    expect(requests).toBeGreaterThan(0);
    const lines = writes.filter((w) => w.includes('gavel-refused'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^gavel-refused: the last spans were not exported: .+\n$/);
  });
});
