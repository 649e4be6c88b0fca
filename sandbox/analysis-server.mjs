// gavel analysis server: runs in the long-lived, locked-down analysis container (network none,
// read-only root, non-root, no capabilities). It never executes a sample: it lints with ruff (wasm,
// loaded once) and type-checks with pyright (batched: every request that arrives while a pyright run
// is in flight joins the next run), so the analysers' start-up is paid once, not per sample.
//
// stdin:  NDJSON requests {"id": string, "files": {"<relative path>.py": "<source>"}}
// stdout: NDJSON responses {"id", "ruff": {version, duration_ms, diagnostics: [ruff JSON]},
//                           "pyright": {version, exit_code, duration_ms, report: pyright --outputjson}}
// The pyright configuration is the sandbox's own (-p): a sample's pyrightconfig.json or
// pyproject.toml is never written to disk here (only .py/.pyi files are), so it cannot steer the run.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, normalize } from 'node:path';
import { createInterface } from 'node:readline';

const require = createRequire(import.meta.url);
const TOOLS = '/opt/gavel/tools/node_modules';
const ruff = require(`${TOOLS}/@astral-sh/ruff-wasm-nodejs`);
const PYRIGHT = `${TOOLS}/pyright/index.js`;
const PYRIGHT_VERSION = JSON.parse(readFileSync(`${TOOLS}/pyright/package.json`, 'utf8')).version;
const RUFF_VERSION = ruff.Workspace.version();
const SCRATCH = process.env.GAVEL_ANALYSIS_SCRATCH ?? '/scratch';
const PYRIGHT_TIMEOUT_MS = Number(process.env.GAVEL_PYRIGHT_TIMEOUT_MS ?? 60000);
const MAX_FILE_BYTES = Number(process.env.GAVEL_ANALYSIS_MAX_FILE_BYTES ?? 1048576);
const BASE_CONFIG = JSON.parse(readFileSync('/opt/gavel/pyrightconfig.json', 'utf8'));

const settings = ruff.Workspace.defaultSettings();
settings['target-version'] = 'py311';
const workspace = new ruff.Workspace(settings, ruff.PositionEncoding.Utf16);

const send = (msg) => process.stdout.write(`${JSON.stringify(msg)}\n`);
let seq = 0;
let pending = [];
let running = false;

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

function runPyright(batch) {
  const dir = join(SCRATCH, `batch-${++seq}`);
  const roots = [];
  for (const req of batch) {
    const root = join(dir, `s${roots.length}`);
    roots.push(root);
    for (const [name, source] of Object.entries(req.files)) {
      const p = join(root, name);
      mkdirSync(dirname(p), { recursive: true });
      writeFileSync(p, source);
    }
  }
  const config = { ...BASE_CONFIG, include: roots, executionEnvironments: roots.map((root) => ({ root })) };
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
    child.on('close', (code, sig) => {
      clearTimeout(timer);
      const duration_ms = performance.now() - t;
      let report = null;
      try {
        report = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        report = null;
      }
      rmSync(dir, { recursive: true, force: true });
      resolve({ roots, report, code: sig ? null : code, duration_ms, timedOut: sig === 'SIGKILL' });
    });
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

async function pump() {
  if (running || pending.length === 0) return;
  running = true;
  const batch = pending;
  pending = [];
  const result = await runPyright(batch);
  batch.forEach((req, i) => {
    const report = result.report ? splitReport(result.report, result.roots[i]) : null;
    send({
      id: req.id,
      ruff: req.ruff,
      skipped: req.skipped,
      pyright: {
        version: PYRIGHT_VERSION,
        exit_code: report ? (report.summary.errorCount > 0 ? 1 : 0) : result.code,
        duration_ms: result.duration_ms,
        batch_size: batch.length,
        timed_out: result.timedOut,
        report,
      },
    });
  });
  running = false;
  setImmediate(() => pump().catch((e) => send({ id: null, error: String(e) })));
}

const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
rl.on('line', (line) => {
  if (!line.trim()) return;
  let req;
  try {
    req = JSON.parse(line);
  } catch {
    send({ id: null, error: 'request is not JSON' });
    return;
  }
  const files = {};
  const skipped = [];
  for (const [name, source] of Object.entries(req.files ?? {})) {
    const rel = safeRel(name);
    if (rel === null || typeof source !== 'string') continue;
    if (Buffer.byteLength(source) > MAX_FILE_BYTES) {
      skipped.push(rel);
      continue;
    }
    files[rel] = source;
  }
  let ruffFacts;
  try {
    ruffFacts = lint(files);
  } catch (e) {
    ruffFacts = { version: RUFF_VERSION, error: String(e), diagnostics: [] };
  }
  pending.push({ id: req.id, files, ruff: ruffFacts, skipped });
  pump().catch((e) => send({ id: null, error: String(e) }));
});
rl.on('close', () => {
  const wait = () => (running || pending.length ? setTimeout(wait, 50) : process.exit(0));
  wait();
});
send({ ready: true, ruff: RUFF_VERSION, pyright: PYRIGHT_VERSION });
