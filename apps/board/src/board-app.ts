import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { StageQueue } from '@gavel/queue';
import express, { type Express } from 'express';
import { destructiveActionsMiddleware } from './board-actions.ts';
import { boardAuthMiddleware } from './board-auth.ts';
import type { BoardAuth } from './board-config.ts';
import { type AllowedHosts, hostCheckMiddleware } from './host-check.ts';

export interface BoardPolicy {
  auth: BoardAuth;
  /** Host names the board answers to (DNS rebinding). */
  hosts: AllowedHosts;
  /** Allow the actions that remove or rewrite jobs (empty, obliterate, clean, add, edit). */
  allowDestructive: boolean;
}

/**
 * Bull Board over the given queues (retries allowed),
 * behind the Host check, the auth middleware and the destructive-action guard, in that order.
 */
export function createBoardApp(queues: readonly StageQueue[], policy: BoardPolicy): Express {
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath('/');
  createBullBoard({
    queues: queues.map((q) => new BullMQAdapter(q, { allowRetries: true, readOnlyMode: false })),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'gavel' } },
  });
  const app = express();
  app.disable('x-powered-by');
  app.use(hostCheckMiddleware(policy.hosts));
  app.use(boardAuthMiddleware(policy.auth));
  app.use(destructiveActionsMiddleware(policy.allowDestructive));
  app.use('/', serverAdapter.getRouter());
  return app;
}
