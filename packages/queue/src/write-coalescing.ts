import type { Socket } from 'node:net';
import type { Redis } from 'ioredis';

const COALESCING = Symbol('gavel.writeCoalescing');

type CoalescedSocket = Socket & { [COALESCING]?: true };

/**
 * Sends the commands a connection is given in one turn of the event loop in one socket write:
 * the first write of a turn corks the socket and `setImmediate` uncorks it, once that turn's
 * callbacks and promise continuations have run (node-redis batches its writes per turn the same
 * way). ioredis writes each command on its own: a stage worker's jobs in flight each send their
 * next command from the same burst of replies, one `write(2)` each, which Redis then reads one by
 * one. The commands, their order on the connection and the matching of replies (in order) are
 * unchanged; only how many commands go per write. (ioredis's own auto-pipelining is not this: it
 * keeps one pipeline per connection in flight at a time, and builds each pipeline by copying every
 * script defined on the connection, BullMQ's included.)
 *
 * Applied to every socket the connection opens (a reconnect opens a new one). A socket destroyed
 * while corked drops what it held, as it drops a write the kernel had not sent: ioredis fails or
 * resends those commands as it does for any command a lost connection left unanswered.
 */
export function coalesceWrites(redis: Redis): void {
  redis.on('connect', () => {
    const socket = (redis as unknown as { stream?: CoalescedSocket }).stream;
    if (!socket || socket[COALESCING]) return;
    socket[COALESCING] = true;
    const write = socket.write;
    let corked = false;
    const uncork = (): void => {
      corked = false;
      socket.uncork();
    };
    socket.write = function coalescedWrite(this: Socket, ...args: Parameters<Socket['write']>): boolean {
      if (!corked) {
        corked = true;
        socket.cork();
        setImmediate(uncork);
      }
      return write.apply(this, args);
    } as Socket['write'];
  });
}
