import type { IncomingMessage } from 'node:http';
import type { MiddlewareHandler } from 'hono';

/**
 * Ends the connection with the answer to a request that has not arrived whole (RFC 9112 §9.6): a body
 * past GAVEL_API_MAX_BODY_BYTES, a submission refused while its body is still coming. Kept alive, the
 * connection would still carry the rest of that body: the server reads it for a while, then closes the
 * socket, and a client that sent its next request on it finds it closed ("other side closed"). A
 * request whose bytes have all arrived (`complete`, read or not) leaves the connection clean for the
 * next one. Served by @hono/node-server, whose bindings carry the Node request; elsewhere (`app.fetch`
 * in a test) there is none and nothing changes.
 */
export const closeAfterUnreadBody: MiddlewareHandler = async (c, next) => {
  await next();
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  if (incoming && !incoming.complete) c.header('connection', 'close');
};
