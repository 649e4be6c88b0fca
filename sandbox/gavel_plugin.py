"""pytest plugin of the sandbox runner: the tests run here, the sample never does.

The sample's modules are proxies of a separate process (sample_proxy.py); this process only ever holds
plain values the sample sent. Before anything of the sample runs, this process makes itself
non-dumpable (so a process of the same uid can neither ptrace it nor open its /proc files: memory,
descriptors, environment) and takes the runner's completion channel. At the end of the session every
other process of the sample is killed before the JUnit report is written, and the plugin vouches for
the report's exact bytes to the runner on a pipe only this process holds.
"""

import ctypes
import gc
import hashlib
import os
import sys
import time

import pytest
import sample_proxy

PR_SET_DUMPABLE = 4


def _non_dumpable():
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    except OSError:
        pass


def _channel():
    """The runner's nonce (read here, from a pipe, before the sample exists) and the completion pipe."""
    fds = os.environ.get("GAVEL_CHANNEL", "")
    if not fds:
        return None, None
    nonce_fd, done_fd = (int(x) for x in fds.split(","))
    with os.fdopen(nonce_fd, "rb") as f:
        nonce = f.read(64)
    return nonce, done_fd


_non_dumpable()
# Nothing the sample can write is on this process's import path (only the read-only root filesystem).
sys.path[:] = [p for p in sys.path if p and os.path.isdir(p) and not os.access(p, os.W_OK)]
_NONCE, _DONE_FD = _channel()
_OUTPUT_FD = int(os.environ["GAVEL_OUTPUT_FD"]) if os.environ.get("GAVEL_OUTPUT_FD") else None
_DEADLINE = float(os.environ.get("GAVEL_DEADLINE") or time.monotonic() + 25)
_VALUE_BYTES = int(os.environ.get("GAVEL_VALUE_BYTES") or 8 * 1024 * 1024)
_WORK = os.environ.get("GAVEL_WORK") or os.getcwd()
for _k in [k for k in os.environ if k.startswith("GAVEL_")]:
    del os.environ[_k]
_SAMPLE = sample_proxy.install(_WORK, _OUTPUT_FD, _DEADLINE, _VALUE_BYTES)
_REPORT_WRITTEN = False


def pytest_collection_finish(session):
    """The runner starts pytest with the cyclic GC off; the tests run with it on (what start-up
    loaded is frozen: never scanned again)."""
    gc.freeze()
    gc.enable()


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_sessionfinish(session, exitstatus):
    """No process of the sample is alive when the report is written: it cannot be rewritten after."""
    global _REPORT_WRITTEN
    _SAMPLE.stop()
    path = getattr(session.config.option, "xmlpath", None)
    stale_removed = True
    if path:
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
        except OSError:
            stale_removed = False
    outcome = yield
    _REPORT_WRITTEN = bool(path) and stale_removed and outcome.excinfo is None


def pytest_unconfigure(config):
    """Vouch for the report's exact bytes (and say whether a call to the sample timed out)."""
    if _NONCE is None or _DONE_FD is None:
        return
    path = getattr(config.option, "xmlpath", None)
    if not _REPORT_WRITTEN or not path or not os.path.isfile(path):
        os.close(_DONE_FD)
        return
    with open(path, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    flag = b"timeout" if _SAMPLE.timed_out else b"-"
    os.write(_DONE_FD, _NONCE + b" " + digest.encode() + b" " + flag)
    os.close(_DONE_FD)
