"""The sample's own process: imports the sample's modules and answers calls from the tests' process.

Started by the pytest plugin (sample_proxy.py) as a separate process with a scrubbed environment, its
stdout/stderr on the runner's output pipe and one socket as its only other descriptor. It holds no
secret of the harness: whatever the sample does here (patch pytest, builtins, sys.modules, exit,
fork, print) happens in this process only. Its answers are plain values (plain_values.py): a call whose
result is not plain fails.

Frames on the socket: 4-byte big-endian length, then a plain value. Requests: ["import", module] →
["ok", [[name, kind, value], ...]] with kind "call" (a callable), "value" (a plain value) or "module"
(an imported module, by name); ["call", module, name, args, kwargs] → ["ok", result]. Any failure →
["err", exception type name, message].
"""

import importlib
import os
import socket
import struct
import sys
import types

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import plain_values  # noqa: E402

sys.path.pop(0)


def _recv_exact(sock, n):
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(min(n - len(buf), 1 << 20))
        if not chunk:
            raise EOFError
        buf.extend(chunk)
    return bytes(buf)


def _error(e):
    try:
        message = str(e)
    except Exception:  # noqa: BLE001
        message = "(the exception's message could not be read)"
    name = type(e).__name__ if type(type(e).__name__) is str else "Exception"
    return ["err", name, message[:4000]]


def _names(module):
    out = []
    for name, value in list(vars(module).items()):
        if type(name) is not str or name.startswith("__"):
            continue
        if isinstance(value, types.ModuleType):
            mod = getattr(value, "__name__", None)
            if type(mod) is str:
                out.append([name, "module", mod])
        elif callable(value):
            out.append([name, "call", None])
        else:
            try:
                plain_values.encode(value, 1 << 20)
            except Exception:  # noqa: BLE001
                continue
            out.append([name, "value", value])
    return out


def _answer(req):
    op = req[0]
    if op == "import":
        return ["ok", _names(importlib.import_module(req[1]))]
    if op == "call":
        _, module, name, args, kwargs = req
        fn = getattr(sys.modules[module], name)
        return ["ok", fn(*args, **kwargs)]
    return ["err", "ValueError", f"unknown request {op!r}"]


def main():
    fd, limit, work = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    sock = socket.socket(fileno=fd)
    sys.argv = [os.path.join(work, "solution.py")]
    sys.path.insert(0, work)
    while True:
        try:
            (n,) = struct.unpack(">I", _recv_exact(sock, 4))
            req = plain_values.decode(_recv_exact(sock, n), limit)
        except (EOFError, OSError):
            os._exit(0)
        try:
            reply = _answer(req)
            data = plain_values.encode(reply, limit)
        except plain_values.NotPlain as e:
            data = plain_values.encode(["err", "NotPlain", str(e)], limit)
        except BaseException as e:  # noqa: BLE001 - SystemExit and KeyboardInterrupt are the sample's failures too
            data = plain_values.encode(_error(e), limit)
        sock.sendall(struct.pack(">I", len(data)) + data)


if __name__ == "__main__":
    main()
