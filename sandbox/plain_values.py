"""Plain values: the only things that cross between the sample's process and the tests' process.

A plain value is an instance of an exact builtin type (`type(x) is int`, never a subclass): None, bool,
int, float, str, bytes, and list, tuple, dict, set, frozenset of plain values. Anything else (an object
with its own __eq__, a subclass of int or list, a generator, a function) is refused.

Wire form: JSON, where every JSON object is a tag of one key — {"t": [...]} tuple, {"s": [...]} set,
{"f": [...]} frozenset, {"d": [[k, v], ...]} dict, {"b": "<base64>"} bytes, {"x": "<hex>"} an int
too large for a JSON number. An untagged or unknown object is refused. Decoding builds new objects of
exact builtin types only, so whatever the other side sends, the tests compare plain values in their
own process; the encoder's checks are for a clear message.
"""

import base64
import json

MAX_DEPTH = 100
_BIG = 1 << 63


class NotPlain(TypeError):
    """A value that is not plain (or nested too deep, or too large) cannot cross."""


def _tag(x, depth):
    if depth > MAX_DEPTH:
        raise NotPlain(f"value nested deeper than {MAX_DEPTH} levels")
    t = type(x)
    if x is None or t is bool or t is str or t is float:
        return x
    if t is int:
        return {"x": format(x, "x")} if not -_BIG < x < _BIG else x
    if t is bytes:
        return {"b": base64.b64encode(x).decode("ascii")}
    if t is list:
        return [_tag(v, depth + 1) for v in x]
    if t is tuple:
        return {"t": [_tag(v, depth + 1) for v in x]}
    if t is set:
        return {"s": [_tag(v, depth + 1) for v in x]}
    if t is frozenset:
        return {"f": [_tag(v, depth + 1) for v in x]}
    if t is dict:
        return {"d": [[_tag(k, depth + 1), _tag(v, depth + 1)] for k, v in x.items()]}
    raise NotPlain(f"not a plain value: {t.__module__}.{t.__qualname__}")


def encode(x, limit):
    """The wire form of a plain value (bytes), or NotPlain; over `limit` bytes is refused too."""
    data = json.dumps(_tag(x, 0), ensure_ascii=True, separators=(",", ":"), check_circular=False).encode("ascii")
    if len(data) > limit:
        raise NotPlain(f"value of {len(data)} bytes is over the limit of {limit}")
    return data


def _untag(o):
    if len(o) != 1:
        raise ValueError("not a plain value: untagged object")
    ((k, v),) = o.items()
    if k == "x" and type(v) is str:
        return int(v, 16)
    if k == "b" and type(v) is str:
        return base64.b64decode(v.encode("ascii"), validate=True)
    if type(v) is not list:
        raise ValueError(f"not a plain value: tag {k!r}")
    if k == "t":
        return tuple(v)
    if k == "s":
        return set(v)
    if k == "f":
        return frozenset(v)
    if k == "d":
        out = {}
        for pair in v:
            if type(pair) is not list or len(pair) != 2:
                raise ValueError("not a plain value: dict item")
            out[pair[0]] = pair[1]
        return out
    raise ValueError(f"not a plain value: tag {k!r}")


def decode(data, limit):
    """A plain value from its wire form; anything malformed, too deep or over `limit` bytes → NotPlain."""
    if len(data) > limit:
        raise NotPlain(f"value of {len(data)} bytes is over the limit of {limit}")
    try:
        return json.loads(data, object_hook=_untag)
    except (ValueError, TypeError, RecursionError) as e:
        raise NotPlain(f"malformed value: {str(e)[:200]}") from None
