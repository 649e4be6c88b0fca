import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  service: string;
  attributes: Record<string, unknown>;
  /** Links to spans of other traces (trace id, span id, attributes). */
  links: { traceId: string; spanId: string; attributes: Record<string, unknown> }[];
}

interface OtlpJson {
  resourceSpans?: {
    resource?: { attributes?: { key: string; value: Record<string, unknown> }[] };
    scopeSpans?: {
      spans?: {
        traceId: string;
        spanId: string;
        parentSpanId?: string;
        name: string;
        attributes?: { key: string; value: Record<string, unknown> }[];
        links?: { traceId: string; spanId: string; attributes?: { key: string; value: Record<string, unknown> }[] }[];
      }[];
    }[];
  }[];
}

const anyValue = (v: Record<string, unknown>): unknown => Object.values(v)[0];

/**
 * An OTLP/HTTP JSON receiver on loopback (`POST /v1/traces`), collecting every span it is sent.
 * `namesOnly` keeps each span's ids, name and service but not its attributes and links: a benchmark
 * that counts whole traces then spends less of the cores it shares with what it measures.
 */
export async function startOtlpReceiver(options: { namesOnly?: boolean } = {}): Promise<{
  endpoint: string;
  spans: ReceivedSpan[];
  close(): Promise<void>;
}> {
  const spans: ReceivedSpan[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.url !== '/v1/traces' || !String(req.headers['content-type']).includes('json')) {
        res.writeHead(415).end();
        return;
      }
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as OtlpJson;
      for (const rs of body.resourceSpans ?? []) {
        const service = String(anyValue(rs.resource?.attributes?.find((a) => a.key === 'service.name')?.value ?? {}));
        for (const ss of rs.scopeSpans ?? []) {
          for (const s of ss.spans ?? []) {
            spans.push({
              traceId: s.traceId,
              spanId: s.spanId,
              parentSpanId: s.parentSpanId || undefined,
              name: s.name,
              service,
              attributes: options.namesOnly
                ? {}
                : Object.fromEntries((s.attributes ?? []).map((a) => [a.key, anyValue(a.value)])),
              links: (options.namesOnly ? [] : (s.links ?? [])).map((l) => ({
                traceId: l.traceId,
                spanId: l.spanId,
                attributes: Object.fromEntries((l.attributes ?? []).map((a) => [a.key, anyValue(a.value)])),
              })),
            });
          }
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { endpoint: `http://127.0.0.1:${port}`, spans, close: () => new Promise((r) => server.close(() => r())) };
}
