"""gavel sandbox runner: the entrypoint of every disposable execution container.

stdin:  a tar stream with solution/<files> (the sample's files), tests/<files> (the eval's reference
        tests) and meta.json ({"timeout_s": float, "output_bytes": int}).
stdout: one JSON document {runner, exit_code, duration_ms, timed_out, junit_xml, output, output_truncated}.

Facts come from pytest's JUnit report only, never from an exit code: the worker parses junit_xml.
The reference tests are copied to a directory of their own, pytest runs with the sandbox's own
pytest.ini (-c), --noconftest and the tests' directory as rootdir, so a sample's conftest.py,
pytest.ini or pyproject.toml cannot steer collection. `--versions` prints the tool versions.
"""

import hashlib
import json
import os
import subprocess
import sys
import tarfile
import threading
import time

SCRATCH = "/scratch"
GAVEL = "/opt/gavel"
TAR_LIMIT = 64 * 1024 * 1024


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


def drain(stream, cap, sink):
    kept = bytearray()
    total = 0
    while True:
        chunk = stream.read(65536)
        if not chunk:
            break
        total += len(chunk)
        if len(kept) < cap:
            kept.extend(chunk[: cap - len(kept)])
    sink["output"] = kept.decode("utf-8", "replace")
    sink["truncated"] = total > cap


def read_completion(fd):
    """The plugin's completion record, if pytest finished normally; never blocks on a background
    process that inherited the pipe."""
    import select  # noqa: PLC0415

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


def main():
    if "--versions" in sys.argv:
        print(json.dumps(versions()))
        return
    started = time.monotonic()
    data = sys.stdin.buffer.read(TAR_LIMIT + 1)
    if len(data) > TAR_LIMIT:
        print(json.dumps({"runner": "error", "error": "workspace tar over 64 MiB"}))
        return
    import io  # noqa: PLC0415

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
    work = os.path.join(stage, "solution")
    tests = os.path.join(stage, "tests")
    os.makedirs(work, exist_ok=True)
    report_dir = os.path.join(SCRATCH, "report-" + os.urandom(8).hex())
    os.makedirs(report_dir, mode=0o700)
    report = os.path.join(report_dir, "junit.xml")
    test_files = sorted(
        os.path.join(tests, n) for n in os.listdir(tests) if n.endswith(".py")
    ) if os.path.isdir(tests) else []
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": "/tmp",
        "TMPDIR": "/tmp",
        "PYTHONPATH": GAVEL,
        "GAVEL_WORK": work,
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONHASHSEED": "0",
        "LANG": "C.UTF-8",
    }
    cmd = [
        sys.executable, "-P", "-m", "pytest",
        "-p", "gavel_plugin",
        "-c", os.path.join(GAVEL, "pytest.ini"),
        "--rootdir", tests,
        "--junitxml", report,
        "-q", "--no-header", "-o", "console_output_style=classic",
        *test_files,
    ]
    # Completion channel: pytest's plugin reads a nonce before the sample is imported and, once the
    # report is written, sends back the nonce and the report's sha256. A report without that record
    # (the sample exited early, or wrote a report of its own) is not a fact.
    nonce = os.urandom(16).hex().encode()
    nonce_r, nonce_w = os.pipe()
    done_r, done_w = os.pipe()
    env["GAVEL_CHANNEL"] = f"{nonce_r},{done_w}"
    sink = {"output": "", "truncated": False}
    proc = subprocess.Popen(cmd, cwd=work, env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
                            pass_fds=(nonce_r, done_w))
    os.close(nonce_r)
    os.close(done_w)
    os.write(nonce_w, nonce)
    os.close(nonce_w)
    reader = threading.Thread(target=drain, args=(proc.stdout, cap, sink), daemon=True)
    reader.start()
    timed_out = False
    try:
        code = proc.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        timed_out = True
        try:
            os.killpg(proc.pid, 9)
        except OSError:
            pass
        code = proc.wait()
    reader.join(timeout=0.5)  # a background process may hold the pipe open: do not wait for it
    record = read_completion(done_r)
    junit = None
    report_rejected = False
    if not timed_out and os.path.isfile(report):
        with open(report, "rb") as f:
            raw = f.read(8 * 1024 * 1024)
        if record == nonce + b" " + hashlib.sha256(raw).hexdigest().encode():
            junit = raw.decode("utf-8", "replace")
        else:
            report_rejected = True
    print(json.dumps({
        "runner": "ok",
        "exit_code": code,
        "duration_ms": round((time.monotonic() - started) * 1000, 1),
        "timed_out": timed_out,
        "junit_xml": junit,
        "output": sink["output"],
        "output_truncated": sink["truncated"],
        "report_rejected": report_rejected,
    }))
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
