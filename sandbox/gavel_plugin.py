"""pytest plugin of the sandbox runner: makes the sample's files importable *after* the standard
library and pytest (appended to sys.path, never prepended), so a sample shipping its own `pytest.py`,
`_pytest/` or `json.py` cannot replace the test machinery that writes the JUnit report."""

import hashlib
import os
import sys


def _completion_channel():
    """The runner hands this plugin a nonce on one inherited pipe and reads a completion record on
    another. Both are taken here, at plugin load, before any of the sample's code is imported: the
    sample never sees the nonce, so it cannot forge the record that vouches for the JUnit report."""
    fds = os.environ.pop("GAVEL_CHANNEL", "")
    if not fds:
        return None, None
    nonce_fd, done_fd = (int(x) for x in fds.split(","))
    with os.fdopen(nonce_fd, "rb") as f:
        nonce = f.read(64)
    return nonce, done_fd


_NONCE, _DONE_FD = _completion_channel()


def pytest_unconfigure(config):
    """Runs after the JUnit report is written (pytest_sessionfinish): vouch for its exact bytes."""
    if _NONCE is None or _DONE_FD is None:
        return
    path = getattr(config.option, "xmlpath", None)
    digest = ""
    if path and os.path.isfile(path):
        with open(path, "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()
    os.write(_DONE_FD, _NONCE + b" " + digest.encode())
    os.close(_DONE_FD)


def pytest_configure(config):
    work = os.environ.get("GAVEL_WORK")
    if work and work not in sys.path:
        sys.path.append(work)
