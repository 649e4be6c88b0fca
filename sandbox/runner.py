"""gavel sandbox runner: the entrypoint of every disposable execution container.

stdin:  one line with the result key (64 hex digits, fresh per container), then a tar stream with
        solution/<files> (the sample's files), tests/<one file> (the eval's reference tests) and
        meta.json ({"timeout_s": float, "output_bytes": int, "report_bytes": int, "value_bytes": int}).
stdout: one line `<HMAC-SHA256 of the document, hex> <JSON document>`, the document being
        {runner, exit_code, duration_ms, timed_out, junit_xml, report_rejected, output_bytes,
        output_truncated}: the worker accepts only a line whose MAC its key verifies.
stderr: the sample's and pytest's output, at most output_bytes of it.

Three processes, one uid (the container runs as 65534 with no capabilities and no-new-privileges, so
no other uid can be taken): this runner (PID 1), pytest with the eval's tests, and the sample's own
process, which pytest starts and reaches through proxies that carry plain values only
(sample_proxy.py). The runner and pytest make themselves non-dumpable before the sample exists, so it
cannot ptrace them or open their memory, descriptors or environment under /proc; the key is read from
stdin before anything else and is never written anywhere the sample can read; the sample's output
goes to a pipe of the runner's, never to the container's stdout. Facts come from pytest's JUnit
report, vouched for by the plugin (gavel_plugin.py), never from an exit code. `--versions` prints the
tool versions.

The runner must be PID 1 of the container (container-spec.ts: Init false): kill(-1), which pytest and
the runner use to end every process of the sample, spares PID 1 and the caller only, and PID 1 ignores
the signals it has no handler for, so the sample cannot kill or stop it.
"""

import ctypes
import gc
import hashlib
import hmac
import io
import json
import os
import select
import signal
import subprocess
import sys
import tarfile
import threading
import time
import xml.etree.ElementTree as ET

SCRATCH = "/scratch"
GAVEL = "/opt/gavel"
TAR_LIMIT = 64 * 1024 * 1024
MESSAGE_CHARS = 2000
PR_SET_DUMPABLE = 4
DIST_PACKAGES = "/usr/lib/python3/dist-packages"
PYTEST_MAIN = "import gc; gc.disable(); import sys, pytest; sys.exit(pytest.console_main())"
# Not debugging: pytest's unittest support reads its options (test/integration/sandbox-pytest-fixtures.test.ts).
NO_PLUGINS = [a for name in ("doctest", "pastebin", "stepwise", "setuponly", "setupplan", "faulthandler") for a in ("-p", "no:" + name)]


def versions():
    def run(cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True, timeout=30).stdout.strip()
        except Exception as e:  # noqa: BLE001
            return f"unknown ({e})"

    tools = os.path.join(GAVEL, "tools", "node_modules")
    with open(os.path.join(tools, "pyright", "package.json")) as f:
        pyright = json.load(f)["version"]
    with open(os.path.join(tools, "@astral-sh", "ruff-wasm-nodejs", "package.json")) as f:
        ruff = json.load(f)["version"]
    import pytest  # noqa: PLC0415

    return {
        "python": sys.version.split()[0],
        "pytest": pytest.__version__,
        "node": run(["node", "--version"]).lstrip("v"),
        "pyright": pyright,
        "ruff": ruff,
    }


def wait_exit(proc, timeout_s):
    """proc's exit status, or None if it is still running after timeout_s. Waits on a pidfd, so the
    runner learns of the exit at once (Popen.wait with a timeout polls, sleeping up to 50 ms a turn)."""
    try:
        fd = os.pidfd_open(proc.pid)
    except (AttributeError, OSError):
        try:
            return proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            return None
    try:
        ready, _, _ = select.select([fd], [], [], timeout_s)
    finally:
        os.close(fd)
    return proc.wait() if ready else None


def safe_extract(tar, root):
    """Regular files and directories only, no absolute paths, no '..', no links."""
    for m in tar.getmembers():
        name = os.path.normpath(m.name)
        if name.startswith("/") or name == ".." or name.startswith("../"):
            raise ValueError(f"unsafe path in workspace tar: {m.name}")
        dest = os.path.join(root, name)
        if m.isdir():
            os.makedirs(dest, exist_ok=True)
        elif m.isfile():
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            src = tar.extractfile(m)
            with open(dest, "wb") as out:
                out.write(src.read())
        # links, devices, fifos: ignored


def drain(fd, cap, sink):
    """Reads the output pipe to its end (every writer dead), keeping the first `cap` bytes."""
    kept = bytearray()
    total = 0
    while True:
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            break
        total += len(chunk)
        sink["total"] = total
        if len(kept) < cap:
            kept.extend(chunk[: cap - len(kept)])
            sink["output"] = bytes(kept)
    os.close(fd)


def read_completion(fd):
    """The plugin's completion record, if pytest finished normally (read once pytest is gone)."""
    data = b""
    deadline = time.monotonic() + 0.5
    while len(data) < 200 and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            break
        chunk = os.read(fd, 200)
        if not chunk:
            break
        data += chunk
    os.close(fd)
    return data


def bounded_report(raw, limit):
    """pytest's report with what the facts need only (outcomes, messages cut to MESSAGE_CHARS, no
    tracebacks or captured output), so its size follows the number of tests; None if still over limit."""
    root = ET.fromstring(raw)
    for parent in root.iter():
        for child in list(parent):
            if child.tag in ("system-out", "system-err", "properties"):
                parent.remove(child)
    for el in root.iter():
        if el.tag in ("failure", "error", "skipped"):
            el.text = None
            if "message" in el.attrib:
                el.set("message", el.get("message")[:MESSAGE_CHARS])
        for key in ("name", "classname"):
            if key in el.attrib:
                el.set(key, el.get(key)[:500])
    out = ET.tostring(root, encoding="unicode")
    return out if len(out.encode()) <= limit else None


def signed_line(key, doc):
    body = json.dumps(doc, ensure_ascii=True, separators=(",", ":"))
    return hmac.new(key, body.encode("ascii"), hashlib.sha256).hexdigest() + " " + body + "\n"


def main():
    # Short-lived, and what it holds (the tar, the report) has no reference cycles: no cyclic GC.
    gc.disable()
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    if "--versions" in sys.argv:
        print(json.dumps(versions()))
        return
    started = time.monotonic()
    key_line = sys.stdin.buffer.readline(80).strip()
    if len(key_line) != 64 or not all(c in b"0123456789abcdef" for c in key_line):
        print(json.dumps({"runner": "error", "error": "no result key on the first line of stdin"}))
        return
    key = bytes.fromhex(key_line.decode())
    data = sys.stdin.buffer.read(TAR_LIMIT + 1)
    if len(data) > TAR_LIMIT:
        print(json.dumps({"runner": "error", "error": "workspace tar over 64 MiB"}))
        return
    stage = os.path.join(SCRATCH, "in")
    os.makedirs(stage, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        safe_extract(tar, stage)
    del data
    meta = {}
    meta_path = os.path.join(stage, "meta.json")
    if os.path.exists(meta_path):
        with open(meta_path) as f:
            meta = json.load(f)
    timeout_s = float(meta.get("timeout_s", 25))
    cap = int(meta.get("output_bytes", 1024 * 1024))
    report_limit = int(meta.get("report_bytes", 4 * 1024 * 1024))
    value_bytes = int(meta.get("value_bytes", 8 * 1024 * 1024))
    work = os.path.join(stage, "solution")
    tests = os.path.join(stage, "tests")
    os.makedirs(work, exist_ok=True)
    # Without a reference test module pytest collects this empty directory (exit 5), never the sample's.
    os.makedirs(tests, exist_ok=True)
    report_dir = os.path.join(SCRATCH, "report-" + os.urandom(8).hex())
    os.makedirs(report_dir, mode=0o700)
    report = os.path.join(report_dir, "junit.xml")
    # One test module: pytest has read and compiled it before it imports the sample (which starts the
    # sample's process), so the sample cannot rewrite a module that is yet to be collected.
    test_files = sorted(os.path.join(tests, n) for n in os.listdir(tests) if n.endswith(".py"))[:1]
    # Completion channel: pytest's plugin reads a nonce before the sample exists and, once the report
    # is written (with every process of the sample dead), sends back the nonce and the report's sha256.
    nonce = os.urandom(16).hex().encode()
    nonce_r, nonce_w = os.pipe()
    done_r, done_w = os.pipe()
    out_r, out_w = os.pipe()
    deadline = time.monotonic() + max(0.5, timeout_s - 0.5)
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": "/tmp",
        "TMPDIR": "/tmp",
        # pytest runs without site (-S): its import path is the runner's and pytest's, named here.
        "PYTHONPATH": GAVEL + ":" + DIST_PACKAGES,
        # Only the plugins named here: none an installed package declares.
        "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONHASHSEED": "0",
        "LANG": "C.UTF-8",
        "GAVEL_WORK": work,
        "GAVEL_CHANNEL": f"{nonce_r},{done_w}",
        "GAVEL_OUTPUT_FD": str(out_w),
        "GAVEL_DEADLINE": repr(deadline),
        "GAVEL_VALUE_BYTES": str(value_bytes),
    }
    cmd = [
        # pytest's start-up runs with the cyclic GC off (its plugin turns it back on, with what was
        # loaded frozen, before the first test): `python -m pytest` with that prelude.
        sys.executable, "-S", "-s", "-P", "-c", PYTEST_MAIN,
        "-p", "gavel_plugin",
        # Plugins of pytest no reference test relies on (no doctest modules are collected; no
        # pastebin, step-wise or setup-plan runs; timeouts are the runner's).
        *NO_PLUGINS,
        "-c", os.path.join(GAVEL, "pytest.ini"),
        "--rootdir", tests,
        "--junitxml", report,
        "-q", "--no-header", "-o", "console_output_style=classic",
        *test_files,
    ]
    sink = {"output": b"", "total": 0}
    proc = subprocess.Popen(cmd, cwd=tests, env=env,
                            stdin=subprocess.DEVNULL, stdout=out_w, stderr=out_w,
                            start_new_session=True, pass_fds=(nonce_r, done_w, out_w))
    os.close(nonce_r)
    os.close(done_w)
    os.close(out_w)
    os.write(nonce_w, nonce)
    os.close(nonce_w)
    reader = threading.Thread(target=drain, args=(out_r, cap, sink), daemon=True)
    reader.start()
    code = wait_exit(proc, timeout_s)
    timed_out = code is None
    # Every other process in the container (pytest if it is still there, the sample's, whatever they
    # started) is killed before anything they might have touched is read.
    try:
        os.kill(-1, signal.SIGKILL)
    except OSError:
        pass
    if code is None:
        proc.wait()
    reader.join(timeout=2)
    record = read_completion(done_r).split(b" ")
    junit = None
    report_rejected = False
    if not timed_out and os.path.isfile(report):
        with open(report, "rb") as f:
            raw = f.read(64 * 1024 * 1024)
        if len(record) == 3 and hmac.compare_digest(record[0], nonce) and record[1] == hashlib.sha256(raw).hexdigest().encode():
            try:
                junit = bounded_report(raw, report_limit)
            except ET.ParseError:
                report_rejected = True
            timed_out = record[2] == b"timeout"
        else:
            report_rejected = True
    doc = {
        "runner": "ok",
        "exit_code": code,
        "duration_ms": round((time.monotonic() - started) * 1000, 1),
        "timed_out": timed_out,
        "junit_xml": junit,
        "report_rejected": report_rejected,
        "output_bytes": sink["total"],
        "output_truncated": sink["total"] > cap,
    }
    view = memoryview(sink["output"])
    while view:
        view = view[os.write(2, view):]
    sys.stdout.write(signed_line(key, doc))
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
