import type { IncomingMessage } from 'node:http';
import type { MiddlewareHandler } from 'hono';

/**
 * Ends the connection with the answer to a request whose body was not read to its end (RFC 9112
 * §9.6): a body past GAVEL_API_MAX_BODY_BYTES, a submission refused while its body is still coming.
 * Kept alive, the connection would still carry the rest of that body: @hono/node-server drains it
 * for at most 500 ms and then destroys the socket, and a client that sent its next request on it
 * finds it closed ("other side closed"). Whether the body had all arrived when the answer went is a
 * race between the client's writes and the server's refusal, so it decides nothing: an unread body
 * always ends the connection, a body read whole (or none) leaves it for the next request. Served by
 * @hono/node-server, whose bindings carry the Node request; elsewhere (`app.fetch` in a test) there
 * is none and nothing changes.
 */
export const closeAfterUnreadBody: MiddlewareHandler = async (c, next) => {
  await next();
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  if (incoming && hasBody(incoming) && !incoming.readableEnded) c.header('connection', 'close');
};

/** Whether the request carries a body (RFC 9112 §6.3: Transfer-Encoding, or a Content-Length above 0). */
function hasBody(incoming: IncomingMessage): boolean {
  return incoming.headers['transfer-encoding'] !== undefined || Number(incoming.headers['content-length'] ?? 0) > 0;
}
