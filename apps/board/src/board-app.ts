import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { StageQueue } from '@gavel/queue';
import express, { type Express } from 'express';
import { boardAuthMiddleware } from './board-auth.ts';
import type { BoardAuth } from './board-config.ts';

/** Bull Board over the given queues (retries allowed), behind the auth middleware. */
export function createBoardApp(queues: readonly StageQueue[], auth: BoardAuth): Express {
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath('/');
  createBullBoard({
    queues: queues.map((q) => new BullMQAdapter(q, { allowRetries: true, readOnlyMode: false })),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'gavel' } },
  });
  const app = express();
  app.disable('x-powered-by');
  app.use(boardAuthMiddleware(auth));
  app.use('/', serverAdapter.getRouter());
  return app;
}
