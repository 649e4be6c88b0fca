"""gavel rubric privatize: rebuilds HumanEval-style tasks so that they no longer copy a public set.

Runs inside the sandbox image (no network). stdin: one HumanEval problem per line ({task_id, prompt,
canonical_solution, test, entry_point}); stdout: one JSON result per line, in input order:
{source_task_id, problem, mapping, examples, self_check, error}. Deterministic: the same problem
always gives the same rebuilt task.

- Every function the prompt defines, the parameters and the local names of the prompt and the
  canonical solution are renamed (solve_<6 hex>, helper_<6 hex>_<i>, arg<i>, v<i>), by position in
  the syntax tree, so attributes, keyword arguments of other calls and strings are left alone.
- The docstring's examples (`>>> f(args)` with its output lines, or `f(args) == / ➞ / -> value`) get
  new arguments (every number shifted by the same offset, so order and differences are kept) and
  the value the canonical solution returns for them; when it raises on the new arguments the old
  ones are kept and only the call is renamed.
- The tests get the new names of the helper functions they call (`candidate` is bound by check()).
- self_check: the rebuilt canonical solution is run against the rebuilt tests.
"""

import ast
import builtins
import hashlib
import io
import json
import re
import sys
import tokenize

BUILTINS = set(dir(builtins))


def short_hash(text, n=6):
    return hashlib.sha256(text.encode()).hexdigest()[:n]


def collect(tree):
    """Functions defined at module level, and every local/parameter name in order of appearance."""
    functions = [n.name for n in tree.body if isinstance(n, ast.FunctionDef)]
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for a in node.names:
                imported.add((a.asname or a.name).split(".")[0])
    module_level = set()
    for node in tree.body:
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            for t in node.targets if isinstance(node, ast.Assign) else [node.target]:
                for n in ast.walk(t):
                    if isinstance(n, ast.Name):
                        module_level.add(n.id)
    params, local_names = [], []
    for fn in [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.Lambda))]:
        for node in ast.walk(fn):
            if isinstance(node, ast.arg):
                (params if fn in tree.body else local_names).append((node.lineno, node.col_offset, node.arg))
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                local_names.append((node.lineno, node.col_offset, node.id))
            elif isinstance(node, ast.FunctionDef) and node is not fn:
                local_names.append((node.lineno, node.col_offset, node.name))
            elif isinstance(node, ast.ExceptHandler) and node.name:
                local_names.append((node.lineno, node.col_offset, node.name))
    skip = BUILTINS | imported | module_level | set(functions) | {"self", "cls", "_"}
    ordered = []
    for _, _, name in sorted(params) + sorted(local_names):
        if name not in skip and name not in ordered:
            ordered.append(name)
    return functions, ordered


def build_mapping(problem, functions, names):
    h = short_hash(problem["task_id"])
    mapping = {}
    helpers = 0
    for f in functions:
        if f == problem["entry_point"]:
            mapping[f] = f"solve_{h}"
        else:
            mapping[f] = f"helper_{h}_{helpers}"
            helpers += 1
    args = 0
    local = 0
    param_names = set()
    tree = ast.parse(problem["prompt"] + problem["canonical_solution"])
    for fn in tree.body:
        if isinstance(fn, ast.FunctionDef):
            for a in fn.args.args + fn.args.kwonlyargs:
                param_names.add(a.arg)
    for n in names:
        if n in param_names:
            mapping[n] = f"arg{args}"
            args += 1
        else:
            mapping[n] = f"v{local}"
            local += 1
    return mapping


def edits_for(tree, lines, mapping, renamed_functions):
    """(line, col, old, new) for every Name/arg/def/keyword position whose name is mapped."""
    edits = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in mapping:
            edits.append((node.lineno, node.col_offset, node.id, mapping[node.id]))
        elif isinstance(node, ast.arg) and node.arg in mapping:
            edits.append((node.lineno, node.col_offset, node.arg, mapping[node.arg]))
        elif isinstance(node, ast.FunctionDef) and node.name in mapping:
            line = lines[node.lineno - 1]
            m = re.compile(r"def\s+" + re.escape(node.name) + r"\b").search(line, node.col_offset)
            if m:
                edits.append((node.lineno, m.end() - len(node.name), node.name, mapping[node.name]))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in renamed_functions:
            for kw in node.keywords:
                if kw.arg in mapping and hasattr(kw, "lineno"):
                    edits.append((kw.lineno, kw.col_offset, kw.arg, mapping[kw.arg]))
    return edits


def apply_edits(text, edits):
    lines = text.split("\n")
    by_line = {}
    for line, col, old, new in edits:
        by_line.setdefault(line, set()).add((col, old, new))
    for line, items in by_line.items():
        # ast columns are UTF-8 byte offsets
        raw = lines[line - 1].encode()
        for col, old, new in sorted(items, reverse=True):
            if raw[col : col + len(old.encode())] == old.encode():
                raw = raw[:col] + new.encode() + raw[col + len(old.encode()) :]
        lines[line - 1] = raw.decode()
    return "\n".join(lines)


def rename_tokens(text, mapping):
    """Renames NAME tokens of `mapping` that are not attributes (for the tests)."""
    out = []
    prev = None
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError):
        return text
    edits = []
    for tok in tokens:
        if tok.type == tokenize.NAME and tok.string in mapping and not (prev and prev.string == "."):
            edits.append((tok.start[0], tok.start[1], tok.string, mapping[tok.string]))
        if tok.type not in (tokenize.NL, tokenize.COMMENT):
            prev = tok
    lines = text.split("\n")
    for line, col, old, new in sorted(edits, reverse=True):
        s = lines[line - 1]
        lines[line - 1] = s[:col] + new + s[col + len(old) :]
    out = "\n".join(lines)
    return out


NUMBER = re.compile(r"(?<![\w.])(-?\d+(?:\.\d+)?)(?![\w.])")


def shift_numbers(args, offset):
    def sub(m):
        text = m.group(1)
        if "." in text:
            return repr(round(float(text) + offset, 10))
        return str(int(text) + offset)

    # numbers inside string literals stay as they are
    parts = re.split(r"(\"(?:\\.|[^\"\\])*\"|'(?:\\.|[^'\\])*')", args)
    return "".join(p if i % 2 else NUMBER.sub(sub, p) for i, p in enumerate(parts))


def call_args(text, start):
    depth, i, quote = 1, start, None
    while i < len(text) and depth > 0:
        ch = text[i]
        if quote:
            if ch == "\\":
                i += 1
            elif ch == quote:
                quote = None
        elif ch in "\"'":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        i += 1
    return (text[start : i - 1], i) if depth == 0 else (None, start)


# Words of task prose replaced by a synonym (whole words, first letter's case kept): deterministic,
# meaning-preserving, and dense enough in task statements that no long run of words survives.
SYNONYMS = {
    "return": "give back", "returns": "gives back", "returned": "given back",
    "given": "supplied", "list": "sequence", "lists": "sequences",
    "number": "value", "numbers": "values", "string": "text", "strings": "texts",
    "function": "routine", "input": "argument", "output": "result",
    "integer": "whole number", "integers": "whole numbers", "each": "every",
    "write": "implement", "if": "when", "find": "determine", "all": "every one of the",
    "check": "test", "element": "item", "elements": "items", "you": "one",
    "should": "must", "contains": "holds", "array": "sequence", "positive": "strictly positive",
    "example": "instance", "examples": "instances", "character": "symbol", "characters": "symbols",
    "word": "token", "words": "tokens", "sum": "total", "sorted": "ordered", "order": "ordering",
}
SYNONYM_WORD = re.compile(r"\b(" + "|".join(sorted(SYNONYMS, key=len, reverse=True)) + r")\b", re.IGNORECASE)


def rewrite_prose(line, params):
    """A prose line of the docstring with synonyms and the parameters' new names."""
    def sub(m):
        word = m.group(1)
        new = SYNONYMS[word.lower()]
        return new[0].upper() + new[1:] if word[0].isupper() else new

    out = SYNONYM_WORD.sub(sub, line)
    for old, new in params.items():
        if len(old) >= 3:
            out = re.sub(r"\b" + re.escape(old) + r"\b", new, out)
    return out


def rewrite_examples(doc, entry, new_entry, fn, offset, params=None):
    """Returns the docstring with its examples recomputed, and how many were rewritten."""
    lines = doc.split("\n")
    out, count, i = [], 0, 0
    call = re.compile(r"(?<![\w.])" + re.escape(entry) + r"\s*\(")
    while i < len(lines):
        line = lines[i]
        m = call.search(line)
        if not m:
            out.append(rewrite_prose(line, params or {}) if not line.lstrip().startswith(">>>") else line)
            i += 1
            continue
        args, end = call_args(line, m.end())
        if args is None:
            out.append(line)
            i += 1
            continue
        value, used = None, None
        for candidate_args in (shift_numbers(args, offset), args):
            try:
                parsed = eval(f"({candidate_args},)", {"__builtins__": builtins})  # noqa: S307 (sandboxed)
                value = fn(*parsed)
                used = candidate_args
                break
            except Exception:  # noqa: BLE001
                continue
        head = line[: m.start()] + new_entry + "(" + (used if used is not None else args) + ")"
        rest = line[end:]
        if used is None:
            out.append(head + rest)
            i += 1
            continue
        count += 1
        if line.lstrip().startswith(">>>"):
            out.append(head)
            indent = line[: len(line) - len(line.lstrip())]
            value_line = indent + repr(value)
            i += 1
            # the old output lines, up to a blank line, the next example or the closing quotes
            while i < len(lines) and lines[i].strip() and not lines[i].lstrip().startswith(">>>"):
                stripped = lines[i].strip()
                if stripped.startswith(('"""', "'''")):
                    break
                i += 1
                if stripped.endswith(('"""', "'''")):
                    value_line += stripped[-3:]
                    break
            out.append(value_line)
            continue
        sep = re.match(r"\s*(==|➞|=>|->|should return|returns|is|=)\s*", rest)
        if sep:
            out.append(head + rest[: sep.end()] + repr(value))
        else:
            out.append(head + rest)
        i += 1
    return "\n".join(out), count


def privatize(problem):
    prompt, solution = problem["prompt"], problem["canonical_solution"]
    src = prompt + solution
    tree = ast.parse(src)
    functions, names = collect(tree)
    mapping = build_mapping(problem, functions, names)
    renamed_functions = {f: mapping[f] for f in functions}
    new_src = apply_edits(src, edits_for(tree, src.split("\n"), mapping, set(functions)))
    # The split between prompt and solution: the prompt's line count does not change with renames.
    prompt_lines = prompt.count("\n")
    new_lines = new_src.split("\n")
    new_prompt = "\n".join(new_lines[:prompt_lines]) + ("\n" if prompt.endswith("\n") else "")
    new_solution = "\n".join(new_lines[prompt_lines:])
    if not prompt.endswith("\n"):
        raise ValueError("the prompt does not end with a newline: cannot split prompt from solution")
    # Docstring of the entry point: examples recomputed with the original (canonical) function.
    namespace = {}
    exec(compile(src, "<canonical>", "exec"), namespace)  # noqa: S102 (sandboxed)
    fn = namespace[problem["entry_point"]]
    entry_node = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == problem["entry_point"])
    examples = 0
    doc_node = entry_node.body[0] if entry_node.body else None
    if isinstance(doc_node, ast.Expr) and isinstance(getattr(doc_node, "value", None), ast.Constant) and isinstance(doc_node.value.value, str):
        segment = ast.get_source_segment(src, doc_node.value)
        if segment and segment in new_prompt:
            offset = 1 + int(short_hash(problem["task_id"], 2), 16) % 3
            params = {a.arg: mapping[a.arg] for a in entry_node.args.args if a.arg in mapping}
            rewritten, examples = rewrite_examples(
                segment, problem["entry_point"], mapping[problem["entry_point"]], fn, offset, params
            )
            for old, new in renamed_functions.items():
                rewritten = re.sub(r"\b" + re.escape(old) + r"(?=\s*\()", new, rewritten)
            new_prompt = new_prompt.replace(segment, rewritten, 1)
    new_test = rename_tokens(problem["test"], renamed_functions)
    new_entry = mapping[problem["entry_point"]]
    rebuilt = {
        "task_id": "private/" + short_hash(problem["task_id"], 8),
        "prompt": new_prompt,
        "canonical_solution": new_solution,
        "test": new_test,
        "entry_point": new_entry,
    }
    # Self-check: the rebuilt canonical solution passes the rebuilt tests.
    ns = {}
    try:
        exec(compile(new_prompt + new_solution, "<rebuilt>", "exec"), ns)  # noqa: S102
        exec(compile(new_test, "<tests>", "exec"), ns)  # noqa: S102
        ns["check"](ns[new_entry])
        self_check = "passed"
    except Exception as e:  # noqa: BLE001
        self_check = f"failed: {type(e).__name__}: {e}"[:500]
    return {"problem": rebuilt, "mapping": mapping, "examples": examples, "self_check": self_check}


def main():
    for raw in sys.stdin:
        if not raw.strip():
            continue
        problem = json.loads(raw)
        try:
            result = privatize(problem)
            result["source_task_id"] = problem["task_id"]
            result["error"] = None
        except Exception as e:  # noqa: BLE001
            result = {"source_task_id": problem.get("task_id"), "problem": None, "mapping": None, "examples": 0, "self_check": None, "error": f"{type(e).__name__}: {e}"[:500]}
        sys.stdout.write(json.dumps(result) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
