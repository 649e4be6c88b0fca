// gavel analysis server: runs in the long-lived, locked-down analysis container (network none,
// read-only root, non-root, no capabilities). It never executes a sample: it lints with ruff (wasm,
// loaded once) and type-checks with pyright (batched: every request that arrives while a pyright run
// is in flight joins the next run), so the analysers' start-up is paid once, not per sample.
//
// stdin:  NDJSON requests {"id": string, "files": {"<relative path>.py": "<source>"}, "within_ms"?: number}
// stdout: NDJSON responses {"id", "ruff": {version, duration_ms, diagnostics: [ruff JSON]},
//                           "pyright": {version, exit_code, duration_ms, report: pyright --outputjson}}
//         or, when that one request cannot be analysed, {"id", "error": "<why>", "code": "input"|"transient"}
// One request never stops the next: each request's failure (a file that cannot be written, such as
// `a.py` beside `a.py/b.py`; a full scratch; a malformed request) is answered for that request alone,
// and the server goes on. A request's files are bounded (GAVEL_ANALYSIS_MAX_FILE_BYTES each,
// GAVEL_ANALYSIS_MAX_REQUEST_BYTES and GAVEL_ANALYSIS_MAX_REQUEST_FILES in all: the rest are
// "skipped"), and one pyright run takes requests up to GAVEL_ANALYSIS_BATCH_BYTES and
// GAVEL_ANALYSIS_BATCH_INODES (files and directories), so a batch fits the scratch tmpfs; a request that
// alone does not fit it fails as the sample's own fault.
// The pyright configuration is the sandbox's own (-p): a sample's pyrightconfig.json or
// pyproject.toml is never written to disk here (only .py/.pyi files are), so it cannot steer the run.
// Gathering: a pyright run costs about a second of start-up however few files it checks, so a batch is
// held while its answers are not yet needed. `within_ms` is the request's hint of when its answer is
// needed (its client knows how long its sample waits for an execution slot); without one the request
// is needed now. A batch starts when the earliest answer still makes it at the expected run time (the
// mean of the recent runs, with a margin), or when the waiting requests fill a batch; no request is
// held longer than GAVEL_ANALYSIS_MAX_HOLD_MS (20 s). A request without a hint is never delayed, and
// takes every held request into its run.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, normalize } from 'node:path';
import { createInterface } from 'node:readline';
import { setFlagsFromString } from 'node:v8';

// ruff runs as WebAssembly compiled by Liftoff only: V8's tier-up of its hot functions to TurboFan
// cost about 3 s of CPU on background threads in each new analysis container (more than a pyright
// run), for lint calls of about a millisecond. Set before the module is compiled.
setFlagsFromString('--liftoff-only');

const require = createRequire(import.meta.url);
const TOOLS = '/opt/gavel/tools/node_modules';
const ruff = require(`${TOOLS}/@astral-sh/ruff-wasm-nodejs`);
const PYRIGHT = `${TOOLS}/pyright/index.js`;
const PYRIGHT_VERSION = JSON.parse(readFileSync(`${TOOLS}/pyright/package.json`, 'utf8')).version;
const RUFF_VERSION = ruff.Workspace.version();
const SCRATCH = process.env.GAVEL_ANALYSIS_SCRATCH ?? '/scratch';
const PYRIGHT_TIMEOUT_MS = Number(process.env.GAVEL_PYRIGHT_TIMEOUT_MS ?? 60000);
const MAX_FILE_BYTES = Number(process.env.GAVEL_ANALYSIS_MAX_FILE_BYTES ?? 1048576);
const MAX_REQUEST_BYTES = Number(process.env.GAVEL_ANALYSIS_MAX_REQUEST_BYTES ?? 8 * 1048576);
const MAX_REQUEST_FILES = Number(process.env.GAVEL_ANALYSIS_MAX_REQUEST_FILES ?? 500);
const BATCH_BYTES = Number(process.env.GAVEL_ANALYSIS_BATCH_BYTES ?? 64 * 1048576);
const BATCH_INODES = Number(process.env.GAVEL_ANALYSIS_BATCH_INODES ?? 8000);
const BASE_CONFIG = JSON.parse(readFileSync('/opt/gavel/pyrightconfig.json', 'utf8'));
/** The longest a request is held for its batch to gather (well inside the client's 120 s analysis deadline). */
const MAX_HOLD_MS = Number(process.env.GAVEL_ANALYSIS_MAX_HOLD_MS ?? 20000);
/** The expected pyright run, and its margin: the runs' mean duration (EWMA) × MARGIN, never under MIN_RUN_MS. */
const MARGIN = 1.5;
const MIN_RUN_MS = 1000;

/** Errors of writing a request's files that the request itself causes (its paths cannot coexist or be named). */
const INPUT_FS_ERRORS = new Set(['ENOTDIR', 'EEXIST', 'EISDIR', 'ENAMETOOLONG', 'EINVAL']);

const settings = ruff.Workspace.defaultSettings();
settings['target-version'] = 'py311';
const workspace = new ruff.Workspace(settings, ruff.PositionEncoding.Utf16);

const send = (msg) => process.stdout.write(`${JSON.stringify(msg)}\n`);
const fail = (id, code, error) => send({ id, error, code });
let seq = 0;
const pending = [];
let running = false;
/** EWMA of the recent pyright runs' duration (ms); the first run's guess is MIN_RUN_MS × 2. */
let runMs = MIN_RUN_MS * 2;
let gatherTimer = null;
/** stdin has ended: nothing more will join a batch, so none is held. */
let closing = false;

function safeRel(p) {
  const n = normalize(p);
  return !n.startsWith('/') && !n.startsWith('..') && /\.pyi?$/.test(n) ? n : null;
}

function lint(files) {
  const t = performance.now();
  const diagnostics = [];
  for (const [name, source] of Object.entries(files)) {
    for (const d of workspace.check(source)) {
      diagnostics.push({
        code: d.code,
        message: d.message,
        filename: name,
        location: d.start_location,
        end_location: d.end_location,
      });
    }
  }
  return { version: RUFF_VERSION, duration_ms: performance.now() - t, diagnostics };
}

/** Writes one request's files under root; on failure removes them and says why (and whose fault). */
function writeRequest(root, files, alone) {
  let current = '';
  try {
    for (const [name, source] of Object.entries(files)) {
      current = name;
      const p = join(root, name);
      mkdirSync(dirname(p), { recursive: true });
      writeFileSync(p, source);
    }
    return null;
  } catch (e) {
    rmSync(root, { recursive: true, force: true });
    if (INPUT_FS_ERRORS.has(e?.code)) {
      const why = `files: ${current} cannot be written beside the sample's other files (${e.code}; a path is both a file and a directory, or is not a valid name)`;
      return { code: 'input', why };
    }
    // A full scratch is the sample's own doing when it was written alone; beside others, try it again.
    const full = e?.code === 'ENOSPC' || e?.code === 'EDQUOT';
    if (full && alone)
      return { code: 'input', why: `files: the sample's files do not fit the analysis scratch (${e.code})` };
    return { code: 'transient', why: `analysis scratch: writing ${current} failed (${e?.code ?? String(e)})` };
  }
}

function runPyright(batch) {
  const dir = join(SCRATCH, `batch-${++seq}`);
  const roots = new Map();
  const failed = new Map();
  for (const [i, req] of batch.entries()) {
    const root = join(dir, `s${i}`);
    const error = writeRequest(root, req.files, batch.length === 1);
    if (error) failed.set(req, error);
    else roots.set(req, root);
  }
  // Relative to the configuration's directory (pyright ignores an absolute path in `include`).
  const rel = [...roots.values()].map((root) => root.slice(dir.length + 1));
  if (roots.size === 0) {
    rmSync(dir, { recursive: true, force: true });
    return Promise.resolve({ roots, failed, report: null, code: null, duration_ms: 0, timedOut: false });
  }
  const config = {
    ...BASE_CONFIG,
    include: rel,
    executionEnvironments: rel.map((root) => ({ root })),
  };
  writeFileSync(join(dir, 'pyrightconfig.json'), JSON.stringify(config));
  const t = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [PYRIGHT, '--outputjson', '-p', join(dir, 'pyrightconfig.json')], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const chunks = [];
    child.stdout.on('data', (c) => chunks.push(c));
    child.stderr.resume();
    const timer = setTimeout(() => child.kill('SIGKILL'), PYRIGHT_TIMEOUT_MS);
    const done = (code, sig) => {
      clearTimeout(timer);
      const duration_ms = performance.now() - t;
      let report = null;
      try {
        report = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        report = null;
      }
      rmSync(dir, { recursive: true, force: true });
      resolve({ roots, failed, report, code: sig ? null : code, duration_ms, timedOut: sig === 'SIGKILL' });
    };
    child.on('error', () => done(null, null));
    child.on('close', done);
  });
}

function splitReport(report, root) {
  const mine = (report?.generalDiagnostics ?? []).filter((d) => d.file?.startsWith(`${root}/`));
  const count = (s) => mine.filter((d) => d.severity === s).length;
  return {
    version: report?.version ?? PYRIGHT_VERSION,
    generalDiagnostics: mine.map((d) => ({ ...d, file: d.file.slice(root.length + 1) })),
    summary: { errorCount: count('error'), warningCount: count('warning'), informationCount: count('information') },
  };
}

/** Files plus the directories their paths name: the inodes a request takes on the scratch. */
function inodes(files) {
  const dirs = new Set();
  for (const name of Object.keys(files)) {
    const parts = name.split('/');
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
  }
  return Object.keys(files).length + dirs.size + 1;
}

/** The next pyright batch: waiting requests in arrival order up to BATCH_BYTES and BATCH_INODES (always at least one). */
function takeBatch() {
  return pending.splice(0, takeBatchSize());
}

/** How many of the waiting requests (in arrival order) the next batch takes. */
function takeBatchSize() {
  let bytes = 0;
  let used = 0;
  let n = 0;
  while (
    n < pending.length &&
    (n === 0 || (bytes + pending[n].bytes <= BATCH_BYTES && used + pending[n].inodes <= BATCH_INODES))
  ) {
    bytes += pending[n].bytes;
    used += pending[n].inodes;
    n += 1;
  }
  return n;
}

function answer(req, result, batchSize) {
  const error = result.failed.get(req);
  if (error) {
    fail(req.id, error.code, error.why);
    return;
  }
  const report = result.report ? splitReport(result.report, result.roots.get(req)) : null;
  send({
    id: req.id,
    ruff: req.ruff,
    skipped: req.skipped,
    pyright: {
      version: PYRIGHT_VERSION,
      exit_code: report ? (report.summary.errorCount > 0 ? 1 : 0) : result.code,
      duration_ms: result.duration_ms,
      batch_size: batchSize,
      timed_out: result.timedOut,
      report,
    },
  });
}

/** Whether the waiting requests should run now: one is needed by the time a run would end, or they fill a batch. */
function dueIn(now) {
  if (pending.length === 0) return null;
  if (closing || takeBatchSize() < pending.length) return 0;
  let needed = Number.POSITIVE_INFINITY;
  for (const r of pending) needed = Math.min(needed, r.neededAt);
  return Math.max(0, needed - runMs * MARGIN - now);
}

async function pump() {
  if (running) return;
  const wait = dueIn(performance.now());
  if (wait === null) return;
  if (gatherTimer) clearTimeout(gatherTimer);
  gatherTimer = null;
  if (wait > 0) {
    gatherTimer = setTimeout(() => {
      gatherTimer = null;
      void pump();
    }, wait);
    return;
  }
  running = true;
  const batch = takeBatch();
  const answered = new Set();
  try {
    const result = await runPyright(batch);
    if (result.report) runMs = Math.max(MIN_RUN_MS, 0.7 * runMs + 0.3 * result.duration_ms);
    for (const req of batch) {
      answer(req, result, batch.length);
      answered.add(req);
    }
  } catch (e) {
    for (const req of batch) if (!answered.has(req)) fail(req.id, 'transient', `analysis failed: ${String(e)}`);
  } finally {
    running = false;
    if (pending.length > 0) setImmediate(() => void pump());
  }
}

/** A request line → a pending request, or an answer saying why it cannot be analysed. */
function accept(line) {
  let req;
  try {
    req = JSON.parse(line);
  } catch {
    fail(null, 'input', 'request is not JSON');
    return;
  }
  const id = typeof req?.id === 'string' ? req.id : null;
  if (id === null || typeof req.files !== 'object' || req.files === null || Array.isArray(req.files)) {
    fail(id, 'input', 'request needs a string id and a files object');
    return;
  }
  const files = {};
  const skipped = [];
  let bytes = 0;
  let count = 0;
  for (const [name, source] of Object.entries(req.files)) {
    const rel = safeRel(name);
    if (rel === null || typeof source !== 'string') continue;
    const size = Buffer.byteLength(source);
    if (size > MAX_FILE_BYTES || bytes + size > MAX_REQUEST_BYTES || count >= MAX_REQUEST_FILES) {
      skipped.push(rel);
      continue;
    }
    files[rel] = source;
    bytes += size;
    count += 1;
  }
  let ruffFacts;
  try {
    ruffFacts = lint(files);
  } catch (e) {
    ruffFacts = { version: RUFF_VERSION, error: String(e), diagnostics: [] };
  }
  const within = Number.isFinite(req.within_ms) ? Math.min(Math.max(0, req.within_ms), MAX_HOLD_MS) : 0;
  const neededAt = performance.now() + within;
  pending.push({ id, files, bytes, inodes: inodes(files), ruff: ruffFacts, skipped, neededAt });
  void pump();
}

const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
rl.on('line', (line) => {
  if (!line.trim()) return;
  try {
    accept(line);
  } catch (e) {
    fail(null, 'transient', `request not accepted: ${String(e)}`);
  }
});
rl.on('close', () => {
  closing = true;
  void pump();
  const wait = () => (running || pending.length ? setTimeout(wait, 50) : process.exit(0));
  wait();
});
send({ ready: true, ruff: RUFF_VERSION, pyright: PYRIGHT_VERSION });
