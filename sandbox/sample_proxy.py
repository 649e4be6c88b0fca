"""The tests' side of the sample: its modules, as proxies of a separate process (sample_host.py).

The sample's top-level modules (the files in its workspace, `solution` first of all) are imported in
the tests' process through a finder placed after every other one (so `json`, `pytest` or `_pytest`
always resolve to the real ones). Importing one starts the sample's process on first use and imports
the module there; the proxy module then holds, for each public name, a callable that calls the sample
(arguments and results are plain values, decoded here, so `candidate(x) == y` compares plain values
in this process), the plain value itself, or the standard library module the sample imported under
that name. Each call has the run's deadline; a call that outlives it, a sample process that dies, or a
result that is not plain fails the call, never the harness.
"""

import builtins
import importlib.abc
import importlib.machinery
import os
import signal
import socket
import struct
import subprocess
import sys
import time

import plain_values

HOST = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sample_host.py")
SAMPLE_ENV = {
    "PATH": "/usr/bin:/bin",
    "HOME": "/tmp",
    "TMPDIR": "/tmp",
    "LANG": "C.UTF-8",
    "PYTHONHASHSEED": "0",
    "PYTHONDONTWRITEBYTECODE": "1",
    "PYTHONUNBUFFERED": "1",
}


class SampleError(Exception):
    """The sample failed in a way that has no builtin exception type here (it exited, was killed, ...)."""


class NotPlainResult(TypeError):
    """The sample answered with something that is not a plain value."""


def _raise_remote(what, kind, message):
    if kind == "NotPlain":
        raise NotPlainResult(f"{what} answered: {message}")
    cls = getattr(builtins, kind, None) if type(kind) is str else None
    if isinstance(cls, type) and issubclass(cls, Exception) and cls.__module__ == "builtins":
        raise cls(message)
    raise SampleError(f"{kind}: {message}")


class SampleProcess:
    """One sample process, started on first use; after it dies or times out every call fails."""

    def __init__(self, work, output_fd, deadline, limit):
        self.work, self.output_fd, self.deadline, self.limit = work, output_fd, deadline, limit
        self.proc = None
        self.sock = None
        self.gone = None
        self.timed_out = False

    def _start(self):
        parent, child = socket.socketpair()
        out = self.output_fd if self.output_fd is not None else subprocess.DEVNULL
        self.proc = subprocess.Popen(
            [sys.executable, "-s", "-P", HOST, str(child.fileno()), str(self.limit), self.work],
            cwd=self.work, env=SAMPLE_ENV, stdin=subprocess.DEVNULL, stdout=out, stderr=out,
            pass_fds=(child.fileno(),), start_new_session=True,
        )
        child.close()
        self.sock = parent

    def _recv_exact(self, n):
        buf = bytearray()
        while len(buf) < n:
            remaining = self.deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            self.sock.settimeout(remaining)
            chunk = self.sock.recv(min(n - len(buf), 1 << 20))
            if not chunk:
                raise EOFError
            buf.extend(chunk)
        return bytes(buf)

    def request(self, req, what):
        if self.gone:
            raise SampleError(f"{what}: {self.gone}")
        data = plain_values.encode(req, self.limit)
        if self.proc is None:
            self._start()
        try:
            self.sock.settimeout(max(0.001, self.deadline - time.monotonic()))
            self.sock.sendall(struct.pack(">I", len(data)) + data)
            (n,) = struct.unpack(">I", self._recv_exact(4))
            if n > self.limit:
                raise plain_values.NotPlain(f"answer of {n} bytes is over the limit of {self.limit}")
            reply = plain_values.decode(self._recv_exact(n), self.limit)
        except (TimeoutError, socket.timeout):
            self.timed_out = True
            self.stop(f"the sample did not answer within the time limit (during {what})")
            raise TimeoutError(self.gone) from None
        except (EOFError, OSError):
            self.stop(f"the sample's process ended{self._status()} (during {what})")
            raise SampleError(self.gone) from None
        except plain_values.NotPlain as e:
            self.stop(f"the sample sent a malformed answer: {e}")
            raise NotPlainResult(self.gone) from None
        if type(reply) is not list or not reply or reply[0] not in ("ok", "err"):
            self.stop("the sample sent a malformed answer")
            raise NotPlainResult(self.gone)
        if reply[0] == "err":
            _raise_remote(what, reply[1] if len(reply) > 1 else None, str(reply[2] if len(reply) > 2 else "")[:4000])
        return reply[1] if len(reply) > 1 else None

    def _status(self):
        try:
            code = self.proc.wait(timeout=0.2)
        except subprocess.TimeoutExpired:
            return ""
        return f" (killed by signal {-code})" if code < 0 else f" (exit status {code})"

    def stop(self, why="the run is over"):
        """Kills the sample's process and every process it started (including those that left its session)."""
        if self.gone is None:
            self.gone = why
        if self.proc is not None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except OSError:
                pass
        kill_everyone_else()
        if self.proc is not None:
            try:
                self.proc.wait(timeout=1)
            except subprocess.TimeoutExpired:
                pass


def kill_everyone_else():
    """SIGKILL to every process this one may signal except itself and PID 1 (the runner): in the
    container, that is every process the sample started, wherever it went."""
    try:
        os.kill(-1, signal.SIGKILL)
    except OSError:
        pass


# Standard library modules whose import does something (opens a browser, prints, starts a GUI).
_NOT_IMPORTED = frozenset({"antigravity", "this", "__hello__", "__phello__", "idlelib", "tkinter", "turtle", "turtledemo"})


def _importable(name):
    """A module the sample imported that this process may import too: the standard library's only."""
    top = name.split(".")[0] if type(name) is str else ""
    return top in sys.stdlib_module_names and top not in _NOT_IMPORTED


def _remote_callable(host, module, name):
    def call(*args, **kwargs):
        return host.request(["call", module, name, list(args), dict(kwargs)], f"{module}.{name}()")

    call.__name__ = call.__qualname__ = name
    call.__module__ = module
    return call


class SampleFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Imports the sample's top-level modules as proxies (placed last on sys.meta_path)."""

    def __init__(self, host, names):
        self.host, self.names = host, frozenset(names)

    def find_spec(self, fullname, path=None, target=None):
        if path is None and fullname in self.names:
            return importlib.machinery.ModuleSpec(fullname, self)
        return None

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        name = module.__name__
        for entry in self.host.request(["import", name], f"import {name}"):
            if type(entry) is not list or len(entry) != 3 or type(entry[0]) is not str:
                continue
            attr, kind, value = entry
            if attr.startswith("__"):
                continue
            if kind == "call":
                setattr(module, attr, _remote_callable(self.host, name, attr))
            elif kind == "value":
                setattr(module, attr, value)
            elif kind == "module" and _importable(value):
                try:
                    setattr(module, attr, importlib.import_module(value))
                except ImportError:
                    pass


def sample_modules(work):
    """The sample's top-level module names: its .py files and packages, read before it runs."""
    names = set()
    try:
        entries = os.listdir(work)
    except OSError:
        return names
    for entry in entries:
        path = os.path.join(work, entry)
        if entry.endswith(".py") and os.path.isfile(path):
            names.add(entry[:-3])
        elif os.path.isfile(os.path.join(path, "__init__.py")):
            names.add(entry)
    return {n for n in names if n.isidentifier()}


def install(work, output_fd, deadline, limit):
    """Puts the sample's modules behind proxies; returns the sample process (to stop it at the end)."""
    host = SampleProcess(work, output_fd, deadline, limit)
    sys.meta_path.append(SampleFinder(host, sample_modules(work)))
    return host

