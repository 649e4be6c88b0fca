import { createHash, randomUUID } from 'node:crypto';
import {
  type DatasetFile,
  ID_PATTERN,
  InputError,
  nativeJsonlParser,
  type RunManifest,
  type SampleJob,
} from '@gavel/core';
import { enqueueRun, type RunStore } from '@gavel/queue';
import { checkDataset, newRunId, pinRubrics, resolveDatasetImages, runManifest, shownImages } from '@gavel/runs';
import type { Queue } from 'bullmq';
import { BodyTooLargeError, readBody, readBodyLines } from './body-reader.ts';
import type { IdempotencyStore } from './idempotency.ts';
import { problem, problemResponse } from './problem.ts';
import { bodyProblems, ndjsonBody, type ParsedBody, parseHumanEvalBody } from './run-body.ts';

/** What `POST /v1/runs` needs: the producer's parts, as `gavel enqueue` uses them. */
export interface SubmissionDeps {
  store: RunStore;
  sandbox: Queue<SampleJob>;
  /** The stage settings runs are pinned to (from the server's environment, read at start). */
  stages: RunManifest['stages'];
  rubricsDir: string;
  bundledProblems: DatasetFile;
  idempotency: IdempotencyStore;
  maxBodyBytes: number;
}

/** The answer to a submission (also what an idempotent retry gets back). */
export interface SubmittedRun {
  run_id: string;
  samples: number;
  queued: number;
  existed: boolean;
}

const json = (body: unknown, status: number, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

function mediaType(header: string | null): string {
  return (header ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

/** Parses a JSON body as the producer parses a HumanEval dataset, or answers why it cannot. */
function parseJsonBody(text: string, deps: SubmissionDeps): ParsedBody | Response {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return problemResponse(
      problem(
        'invalid-request',
        400,
        'Body is not JSON',
        `the application/json body does not parse: ${(error as Error).message}`,
      ),
    );
  }
  const parsed = parseHumanEvalBody(value, deps.bundledProblems);
  if (parsed.ok) return parsed.body;
  return problemResponse(
    problem(
      'invalid-dataset',
      422,
      'Invalid body',
      `${parsed.errors.length} problem(s) in the body; nothing was enqueued`,
      parsed.errors,
    ),
  );
}

/** Reads the body within the limit: NDJSON parsed line by line as it arrives, JSON whole. */
async function readAndParse(
  request: Request,
  type: string,
  deps: SubmissionDeps,
): Promise<{ sha256: string; parsed: ParsedBody | Response }> {
  const length = request.headers.get('content-length') ?? undefined;
  if (type === 'application/x-ndjson') {
    const parser = nativeJsonlParser('body');
    const read = await readBodyLines(request.body, deps.maxBodyBytes, length, (line, text) => parser.line(line, text));
    return { sha256: read.sha256, parsed: ndjsonBody(parser.finish(), read.sha256) };
  }
  const body = await readBody(request.body, deps.maxBodyBytes, length);
  return { sha256: body.sha256, parsed: parseJsonBody(body.text, deps) };
}

/**
 * `POST /v1/runs`: the whole body is validated before anything is enqueued, exactly as
 * `gavel enqueue` validates a file, then the producer writes the run. An `Idempotency-Key` (or the
 * run id) makes a retry a no-op: the same payload gets the same run back, another payload under the
 * key is refused (422), and a key whose submission is still running answers 409.
 */
export async function submitRun(request: Request, deps: SubmissionDeps): Promise<Response> {
  const url = new URL(request.url);
  const type = mediaType(request.headers.get('content-type'));
  if (type !== 'application/x-ndjson' && type !== 'application/json') {
    return problemResponse(
      problem(
        'unsupported-media-type',
        415,
        'Unsupported media type',
        'send native samples as application/x-ndjson or a HumanEval body as application/json',
      ),
    );
  }
  const runIdOption = url.searchParams.get('run_id') ?? request.headers.get('gavel-run-id') ?? undefined;
  const rubric = url.searchParams.get('rubric') ?? request.headers.get('gavel-rubric') ?? undefined;
  if (runIdOption !== undefined && !ID_PATTERN.test(runIdOption)) {
    return problemResponse(
      problem('invalid-request', 400, 'Invalid run id', 'run_id is not a valid run id', [
        {
          line: null,
          field: 'run_id',
          message: 'a run id is 1-128 characters of A-Z a-z 0-9 _ . - starting with a letter or digit',
        },
      ]),
    );
  }
  const key = request.headers.get('idempotency-key') ?? (runIdOption === undefined ? undefined : `run:${runIdOption}`);
  const owner = randomUUID();
  const claim = key === undefined ? undefined : await deps.idempotency.claim(key, owner);
  if (claim?.kind === 'in-progress') {
    return problemResponse(
      problem(
        'idempotency-in-progress',
        409,
        'Submission in progress',
        'a submission under this key is still being enqueued; retry later',
      ),
      { 'retry-after': '5' },
    );
  }
  // the claim lives as long as this submission, however long its body takes to arrive
  const stopHolding = key !== undefined && claim?.kind === 'claimed' ? deps.idempotency.hold(key, owner) : undefined;
  let done = false;
  try {
    const { sha256, parsed } = await readAndParse(request, type, deps);
    const payload = `${type}\n${rubric ?? ''}\n${runIdOption ?? ''}\n${sha256}`;
    const payloadSha256 = createHash('sha256').update(payload).digest('hex');
    if (claim?.kind === 'replay') {
      done = true;
      if (claim.payloadSha256 !== payloadSha256) {
        return problemResponse(
          problem(
            'idempotency-conflict',
            422,
            'Idempotency key reused',
            'this key was used for a different payload; choose another key',
          ),
        );
      }
      return json(claim.response, 200, {
        'idempotent-replayed': 'true',
        location: `/v1/runs/${String(claim.response.run_id)}`,
      });
    }
    if (parsed instanceof Response) return parsed;
    // A body has no file beside it: its images come as data: URLs.
    const images = await resolveDatasetImages(parsed.parsed, false);
    const check = checkDataset(parsed.parsed, deps.stages.judge.family, deps.stages.judge.critic?.family ?? null);
    if (check.errors.length > 0 || check.valid.length === 0) {
      const errors = bodyProblems(parsed.format, check.errors);
      return problemResponse(
        problem(
          'invalid-dataset',
          422,
          'Invalid dataset',
          check.errors.length > 0
            ? `${check.invalidLines} invalid line(s); nothing was enqueued`
            : 'the body holds no sample; nothing was enqueued',
          errors,
        ),
      );
    }
    const rubrics = await pinRubrics(check.valid, deps.rubricsDir, rubric);
    const runId = runIdOption ?? newRunId();
    const manifest = runManifest({
      runId,
      format: parsed.format,
      files: parsed.files,
      images: images.keys(),
      samples: check.valid.length,
      skippedInvalid: 0,
      rubrics,
      stages: deps.stages,
    });
    const result = await enqueueRun({
      store: deps.store,
      sandbox: deps.sandbox,
      manifest,
      samples: check.valid,
      images: shownImages(check.valid, images),
      rubrics: [...rubrics.values()],
    });
    const answer: SubmittedRun = {
      run_id: runId,
      samples: check.valid.length,
      queued: result.added,
      existed: result.existed,
    };
    if (key !== undefined) await deps.idempotency.complete(key, payloadSha256, { ...answer });
    done = true;
    return json(answer, result.existed ? 200 : 201, { location: `/v1/runs/${runId}` });
  } catch (error) {
    if (error instanceof BodyTooLargeError) {
      return problemResponse(problem('body-too-large', 413, 'Body too large', error.message));
    }
    if (error instanceof InputError) {
      return problemResponse(problem('invalid-request', 422, 'Refused', error.message));
    }
    throw error;
  } finally {
    stopHolding?.();
    if (key !== undefined && !done) await deps.idempotency.release(key, owner);
  }
}
