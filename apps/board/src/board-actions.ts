import type { NextFunction, Request, Response } from 'express';

/**
 * Bull Board routes that remove or rewrite jobs: emptying, obliterating or cleaning a queue, removing
 * one job, adding a job by hand or editing its payload. A removed job strands its sample (no verdict,
 * no failure, nothing to retry), so these are off unless GAVEL_BOARD_ALLOW_DESTRUCTIVE is set. Retry,
 * promote, pause and resume stay on.
 */
const DESTRUCTIVE: ReadonlyArray<{ method: string; path: RegExp; action: string }> = [
  { method: 'PUT', path: /^\/api\/queues\/[^/]+\/empty$/, action: 'empty a queue' },
  { method: 'PUT', path: /^\/api\/queues\/[^/]+\/obliterate$/, action: 'obliterate a queue' },
  { method: 'PUT', path: /^\/api\/queues\/[^/]+\/clean\/[^/]+$/, action: 'clean a queue' },
  { method: 'PUT', path: /^\/api\/queues\/[^/]+\/[^/]+\/clean$/, action: 'remove a job' },
  { method: 'PUT', path: /^\/api\/queues\/[^/]+\/[^/]+\/remove-unprocessed-children$/, action: 'remove children' },
  { method: 'POST', path: /^\/api\/queues\/[^/]+\/add$/, action: 'add a job by hand' },
  { method: 'PATCH', path: /^\/api\/queues\/[^/]+\/[^/]+\/update-data$/, action: "edit a job's payload" },
];

/**
 * Pure: the destructive action a request asks for, if it is one. Matched as the router matches
 * (case-insensitive, a trailing slash ignored), on the raw path and on its decoded form.
 */
export function destructiveAction(method: string, path: string): string | undefined {
  const m = method.toUpperCase();
  const forms = [path];
  try {
    forms.push(decodeURIComponent(path));
  } catch {
    // an undecodable path is matched as it is
  }
  const candidates = forms.map((f) => f.toLowerCase().replace(/\/+$/, ''));
  return DESTRUCTIVE.find((d) => d.method === m && candidates.some((c) => d.path.test(c)))?.action;
}

/** Express middleware in front of the board router: refuses (403) destructive actions unless allowed. */
export function destructiveActionsMiddleware(allow: boolean) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const action = allow ? undefined : destructiveAction(req.method, req.path);
    if (!action) {
      next();
      return;
    }
    res.status(403).json({
      error: 'Forbidden',
      message: `gavel board: "${action}" is off — it strands samples (no verdict, no failure); retry failed jobs instead, or set GAVEL_BOARD_ALLOW_DESTRUCTIVE=true`,
    });
  };
}
