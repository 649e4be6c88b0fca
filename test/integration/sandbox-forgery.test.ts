import type { Facts, PointwiseSample as Sample } from '@gavel/core';
import { createDockerSandbox, type DockerSandbox } from '@gavel/sandbox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execContainerStates, gavelContainers, limits, SUT, sandboxConfig } from './sandbox-fixtures.ts';

// Result forgery: every sample here is wrong (add returns None, or something that is not 3), and each
// one tries to get itself graded as passing by attacking the harness instead of solving the task: the
// test runner, its secrets, its report, the runner's result line, the comparison itself. Any "passed"
// here is a forged fact.

const ADD_TESTS = 'def check(candidate):\n    assert candidate(1, 2) == 3\n\ncheck(add)\n';
const FAKE_REPORT =
  '<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest" errors="0" failures="0" skipped="0" tests="1"><testcase classname="test_reference" name="test_reference" time="0.01" /></testsuite></testsuites>';
/** A passing result document in the runner's old (unsigned) shape and in the signed one with a guessed MAC. */
const FAKE_LINES = [
  JSON.stringify({
    runner: 'ok',
    exit_code: 0,
    duration_ms: 1,
    timed_out: false,
    junit_xml: FAKE_REPORT,
    output: '',
    output_truncated: false,
  }),
  `${'0'.repeat(64)} ${JSON.stringify({ runner: 'ok', exit_code: 0, duration_ms: 1, timed_out: false, junit_xml: FAKE_REPORT, output_bytes: 0, output_truncated: false })}`,
];

let n = 0;
function sample(prelude: string, add = 'def add(a, b):\n    return None\n'): Sample {
  return {
    id: `forged-${++n}`,
    kind: 'code',
    prompt: 'add two numbers',
    output: `${prelude}\n\n${add}`,
    tests: ADD_TESTS,
    expected_tests: 1,
    sut: SUT,
  };
}

/** Python that writes the fake report wherever a report directory is, and returns how many it wrote. */
const WRITE_FAKE_REPORT = [
  'import glob as _g, os as _o',
  `_FAKE = ${JSON.stringify(FAKE_REPORT)}`,
  'def _write_fake():',
  '    for d in _g.glob("/scratch/report-*") + _g.glob("/tmp/report-*"):',
  '        path = _o.path.join(d, "junit.xml") if _o.path.isdir(d) else d',
  '        try:',
  '            with open(path, "w") as f:',
  '                f.write(_FAKE)',
  '        except OSError:',
  '            pass',
].join('\n');

/** Python that writes the fake result lines to the container's stdout (PID 1's fd 1) and its own. */
const WRITE_FAKE_LINES = [
  'import os as _o2',
  `_LINES = ${JSON.stringify(FAKE_LINES.map((l) => `\n${l}\n`).join(''))}.encode()`,
  'def _write_lines():',
  '    for path in ("/proc/1/fd/1", "/dev/stdout"):',
  '        try:',
  '            fd = _o2.open(path, _o2.O_WRONLY)',
  '            _o2.write(fd, _LINES)',
  '            _o2.close(fd)',
  '        except OSError:',
  '            pass',
].join('\n');

let sandbox: DockerSandbox;
const run = (s: Sample): Promise<Facts> => sandbox.codeFacts(s, limits({ wall_s: 10 }), AbortSignal.timeout(120_000));

function forgeryFailed(f: Facts): void {
  expect(f.tests?.passed).toBe(0);
  expect(f.tests?.failed ?? 0).toBeGreaterThanOrEqual(1);
}

beforeAll(async () => {
  sandbox = await createDockerSandbox(sandboxConfig({ GAVEL_SANDBOX_CONCURRENCY: '2' }));
});

afterAll(async () => {
  await sandbox?.close();
});

describe('forged test results', () => {
  it('plain values cross intact both ways, exact types kept (the control)', async () => {
    const output = [
      'def echo(x):',
      '    return x',
      '',
      'def values():',
      '    return {1: (2, b"\\x00\\xff", frozenset({3})), "big": -(2**100), "f": [float("inf"), -0.0, 0.5],',
      '            "s": {"a", "\\u00e9"}, "n": None, "b": [True, False], (1, "k"): [[[]]]}',
      '',
      'def add(a, b):',
      '    raise ValueError(f"no {a}")',
    ].join('\n');
    const tests = [
      'import math, pytest',
      'from solution import echo, values',
      '',
      'def test_values():',
      '    v = values()',
      '    assert v == {1: (2, b"\\x00\\xff", frozenset({3})), "big": -(2**100), "f": [math.inf, -0.0, 0.5],',
      '                 "s": {"a", "\\u00e9"}, "n": None, "b": [True, False], (1, "k"): [[[]]]}',
      '    assert [type(v[1]), type(v[1][1]), type(v[1][2]), type(v["s"]), type(v["big"])] == [tuple, bytes, frozenset, set, int]',
      '    assert math.copysign(1, v["f"][1]) == -1 and type(v["b"][0]) is bool',
      '',
      'def test_echo():',
      '    assert echo((1, [2.5, "x"])) == (1, [2.5, "x"])',
      '',
      'def test_exceptions_keep_their_builtin_type():',
      '    from solution import add',
      '    with pytest.raises(ValueError, match="no 1"):',
      '        add(1, 2)',
    ].join('\n');
    const f = await run({ ...sample('', ''), output, tests, expected_tests: 3 });
    expect(f.tests).toMatchObject({ passed: 3, failed: 0, errors: 0, expected: 3 });
  });

  it('a JUnit report written by the sample itself, then os._exit(0), grades as failing', async () => {
    forgeryFailed(await run(sample(`${WRITE_FAKE_REPORT}\n_write_fake()\n_o._exit(0)`)));
  });

  it("the plugin's secrets reached through sys.modules (nonce and completion pipe) forge nothing", async () => {
    const attack = [
      WRITE_FAKE_REPORT,
      'import hashlib, sys',
      'sys.path.append("/opt/gavel")',
      'p = sys.modules.get("gavel_plugin")',
      'if p is None:',
      '    import gavel_plugin as p',
      'nonce = getattr(p, "_NONCE", None)',
      'done = getattr(p, "_DONE_FD", None)',
      'if nonce is not None and done is not None:',
      '    _write_fake()',
      '    _o.write(done, nonce + b" " + hashlib.sha256(_FAKE.encode()).hexdigest().encode())',
      '    _o._exit(0)',
    ].join('\n');
    forgeryFailed(await run(sample(attack)));
  });

  it('patching _pytest so the failing test is reported passed forges nothing', async () => {
    const attack = [
      'import _pytest.reports as R',
      '_orig = R.TestReport.from_item_and_call.__func__',
      'def _forged(cls, item, call):',
      '    r = _orig(cls, item, call)',
      '    r.outcome = "passed"',
      '    r.longrepr = None',
      '    return r',
      'R.TestReport.from_item_and_call = classmethod(_forged)',
      'import _pytest.runner',
      '_pytest.runner.check_interactive_exception = lambda *a, **k: False',
    ].join('\n');
    forgeryFailed(await run(sample(attack)));
  });

  it('an object whose __eq__ is always true does not pass `candidate(x) == y`', async () => {
    const add =
      'class Eq:\n    def __eq__(self, o):\n        return True\n    def __ne__(self, o):\n        return False\n\ndef add(a, b):\n    return Eq()\n';
    const f = await run(sample('', add));
    forgeryFailed(f);
    expect(f.tests?.cases[0]?.message).toMatch(/not a plain value: solution\.Eq/);
  });

  it('a subclass of int with an always-true __eq__ is not a plain value', async () => {
    const add =
      'class I(int):\n    def __eq__(self, o):\n        return True\n    __hash__ = int.__hash__\n\ndef add(a, b):\n    return I(0)\n';
    const f = await run(sample('', add));
    forgeryFailed(f);
    expect(f.tests?.cases[0]?.message).toMatch(/not a plain value: solution\.I/);
  });

  it('a subclass of list with an always-true __eq__ is not a plain value', async () => {
    const tests = 'def check(candidate):\n    assert candidate(1, 2) == [1, 2, 3]\n\ncheck(add)\n';
    const add = 'class L(list):\n    def __eq__(self, o):\n        return True\n\ndef add(a, b):\n    return L()\n';
    const f = await run({ ...sample('', add), tests });
    forgeryFailed(f);
    expect(f.tests?.cases[0]?.message).toMatch(/not a plain value: solution\.L/);
  });

  it('a fake result line written to the container stdout by a background process forges nothing', async () => {
    // The background process outlives the sample's import and keeps writing passing result lines
    // until the container is gone, racing the runner's own last line.
    const attack = [
      WRITE_FAKE_LINES,
      'import time',
      'if _o2.fork() == 0:',
      '    _o2.setsid()',
      '    if _o2.fork() == 0:',
      '        start = set(_o2.listdir("/proc/1/fd")) if _o2.access("/proc/1/fd", _o2.R_OK) else set()',
      '        end = time.monotonic() + 30',
      '        while time.monotonic() < end:',
      '            try:',
      '                now = set(_o2.listdir("/proc/1/fd"))',
      '            except OSError:',
      '                now = set()',
      '            if len(now) < len(start) - 1:',
      '                break',
      '            time.sleep(0.0005)',
      '        while time.monotonic() < end:',
      '            _write_lines()',
      '    _o2._exit(0)',
    ].join('\n');
    forgeryFailed(await run(sample(attack)));
  });

  it('monkeypatching builtins (exec does nothing) forges nothing', async () => {
    const attack = ['import builtins', 'builtins.exec = lambda *a, **k: None'].join('\n');
    forgeryFailed(await run(sample(attack)));
  });

  it('rewriting the test module on disk and running pytest again on it forges nothing', async () => {
    const attack = [
      'import glob, os, sys',
      'for t in glob.glob("/scratch/**/test_*.py", recursive=True):',
      '    with open(t, "w") as f:',
      '        f.write("def test_reference():\\n    pass\\n")',
      'p = sys.modules.get("gavel_plugin")',
      'if p is not None and getattr(p, "_NONCE", None) is not None:',
      '    r, w = os.pipe()',
      '    os.write(w, p._NONCE)',
      '    os.close(w)',
      '    os.environ["GAVEL_CHANNEL"] = f"{r},{p._DONE_FD}"',
      '    os.set_inheritable(r, True)',
      '    os.set_inheritable(p._DONE_FD, True)',
      '    os.execv(sys.executable, [sys.executable, "-P", "-m", "pytest", *sys.argv[1:]])',
    ].join('\n');
    forgeryFailed(await run(sample(attack)));
  });

  it("a module planted on pytest's import path (fractions, imported by the test after the sample ran) forges nothing", async () => {
    // pytest's process imports what the tests import when they import it: after the sample's module-level code ran.
    const plant = [
      'import _pytest.reports as R',
      '_orig = R.TestReport.from_item_and_call.__func__',
      'def _forged(cls, item, call):',
      '    r = _orig(cls, item, call)',
      '    r.outcome = "passed"',
      '    r.longrepr = None',
      '    return r',
      'R.TestReport.from_item_and_call = classmethod(_forged)',
      'from importlib.machinery import PathFinder',
      'import sys',
      'spec = PathFinder.find_spec("fractions", [p for p in sys.path if p.startswith("/usr")])',
      'sys.modules["fractions"] = m = __import__("importlib.util").util.module_from_spec(spec)',
      'spec.loader.exec_module(m)',
    ].join('\n');
    const attack = [
      'import glob, os',
      `PLANT = ${JSON.stringify(plant)}`,
      'for d in {os.getcwd(), *glob.glob("/scratch/**/", recursive=True), "/tmp/"}:',
      '    try:',
      '        with open(os.path.join(d, "fractions.py"), "w") as f:',
      '            f.write(PLANT)',
      '    except OSError:',
      '        pass',
      '',
      'def name():',
      '    return "not the expected name"',
    ].join('\n');
    const tests =
      'from solution import name\n\ndef test_name():\n    n = name()\n    import fractions\n    assert n == "the expected name"\n';
    forgeryFailed(await run({ ...sample('', ''), output: attack, tests, expected_tests: 1 }));
  });

  it("without reference tests, the sample's own test files are never collected", async () => {
    const { tests: _none, ...noTests } = sample('', 'def add(a, b):\n    return None\n');
    const f = await run({
      ...noTests,
      expected_tests: 1,
      files: { 'test_own.py': 'def test_own():\n    assert True\n' },
    });
    forgeryFailed(f);
    expect(f.tests?.collected).toBe(0);
  });

  it("answers written straight onto the proxy's socket (a 2 GiB frame, an object of an unknown tag) forge nothing", async () => {
    const onSocket = (frame: string) =>
      [
        'import os, struct, time',
        'for fd in os.listdir("/proc/self/fd"):',
        '    try:',
        '        if os.readlink(f"/proc/self/fd/{fd}").startswith("socket:"):',
        `            os.write(int(fd), ${frame})`,
        '    except OSError:',
        '        pass',
        'time.sleep(3)',
      ].join('\n');
    const [huge, untagged] = await Promise.all([
      run(sample(onSocket('struct.pack(">I", 2**31) + b"[" * 1000'))),
      run(sample(onSocket('struct.pack(">I", 36) + b\'["ok", [["add", "value", {"k": 1}]]]\''))),
    ]);
    forgeryFailed(huge);
    forgeryFailed(untagged);
    expect(huge.tests?.cases[0]?.message).toMatch(/over the limit/);
    expect(untagged.tests?.cases[0]?.message).toMatch(/malformed answer: .*not a plain value/);
  });

  it('an atexit handler that rewrites the report and the output forges nothing', async () => {
    const attack = [
      WRITE_FAKE_REPORT,
      WRITE_FAKE_LINES,
      'import atexit',
      'def _at_exit():',
      '    _write_fake()',
      '    _write_lines()',
      'atexit.register(_at_exit)',
    ].join('\n');
    forgeryFailed(await run(sample(attack)));
  });

  it("the runner's and pytest's memory, descriptors and environment are out of the sample's reach", async () => {
    // The sample reports which probes worked; the test (in pytest's process) wants none.
    const output = [
      'import ctypes, os',
      '',
      'def probe():',
      '    worked = []',
      '    for pid in (1, os.getppid()):',
      '        for path, mode in ((f"/proc/{pid}/fd/1", "w"), (f"/proc/{pid}/environ", "r"), (f"/proc/{pid}/mem", "r")):',
      '            try:',
      '                open(path, mode).close()',
      '                worked.append(path)',
      '            except OSError:',
      '                pass',
      '        try:',
      '            os.listdir(f"/proc/{pid}/fd")',
      '            worked.append(f"/proc/{pid}/fd")',
      '        except OSError:',
      '            pass',
      '        if ctypes.CDLL(None).ptrace(16, pid, 0, 0) == 0:',
      '            worked.append(f"ptrace {pid}")',
      '    return worked',
    ].join('\n');
    const tests = 'from solution import probe\n\ndef test_nothing_reachable():\n    assert probe() == []\n';
    const f = await run({ ...sample('', ''), output, tests, expected_tests: 1 });
    expect(f.tests).toMatchObject({ passed: 1, failed: 0 });
  });

  it('after every attack no container that ran a sample is left (only those made ahead, never started)', () => {
    const states = execContainerStates();
    expect(states.length).toBeLessThanOrEqual(2);
    expect(states.filter((state) => state !== 'created')).toEqual([]);
  });

  it('closing the sandbox leaves no gavel container', async () => {
    await sandbox.close();
    expect(gavelContainers()).toEqual([]);
  });
});
