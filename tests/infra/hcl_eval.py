"""A small evaluator of Terraform expressions, for checking validations offline.

python-hcl2 parses .tf files but leaves every expression as text (``"${var.x >= 1}"``).
This module evaluates that text the way Terraform would for the shapes our modules use:
literals, lists, objects, ``var.``/``local.``/``each.`` references, the arithmetic,
comparison and logical operators, conditionals, ``for`` expressions and the functions
listed in ``FUNCTIONS``. A reference to something only known after apply (``module.``,
``data.``, a resource attribute) evaluates to ``UNKNOWN``, which propagates, so a check
that depends on it is reported as undecided rather than passed or failed.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any


class HclError(Exception):
    """The expression fails to evaluate (Terraform would report an error)."""


class _Unknown:
    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Any = _Unknown()
"""A value known only after apply."""

Env = Mapping[str, Any]
Node = Callable[[Env], Any]

# --- tokens ---------------------------------------------------------------------------------

_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<number>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
  | (?P<string>"(?:[^"\\]|\\.)*")
  | (?P<op>==|!=|<=|>=|&&|\|\||=>|\.\.\.|[-+*/%<>!?:.,()\[\]{}=])
  | (?P<ident>[A-Za-z_][A-Za-z0-9_-]*)
""", re.VERBOSE)


@dataclass(frozen=True)
class _Tok:
    kind: str
    text: str


def _tokens(source: str) -> list[_Tok]:
    out: list[_Tok] = []
    pos = 0
    while pos < len(source):
        match = _TOKEN.match(source, pos)
        if not match:
            raise HclError(f"cannot read {source[pos:pos + 20]!r} in {source!r}")
        pos = match.end()
        kind = match.lastgroup or ""
        if kind != "ws":
            out.append(_Tok(kind, match.group()))
    out.append(_Tok("end", ""))
    return out


# --- templates: "a ${expr} b" ------------------------------------------------------------------


def _template_parts(text: str) -> list[str | tuple[str]]:
    """Literal pieces and ``(expression,)`` pieces of a string with ``${...}`` in it."""
    parts: list[str | tuple[str]] = []
    pos = 0
    while True:
        start = text.find("${", pos)
        if start < 0:
            parts.append(text[pos:])
            return parts
        parts.append(text[pos:start])
        depth, i, quoted = 1, start + 2, False
        while depth:
            if i >= len(text):
                raise HclError(f"unclosed ${{ in {text!r}")
            ch = text[i]
            if quoted:
                if ch == "\\":
                    i += 1
                elif ch == '"':
                    quoted = False
            elif ch == '"':
                quoted = True
            elif ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
            i += 1
        parts.append((text[start + 2:i - 1],))
        pos = i


def _unescape(literal: str) -> str:
    body = literal[1:-1]
    return re.sub(r'\\(["\\nt])', lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)),
                  body)


def template(text: str) -> Node:
    """A node for a string that may interpolate expressions."""
    parts = _template_parts(text)
    if len(parts) == 3 and parts[0] == "" and parts[2] == "" and isinstance(parts[1], tuple):
        return compile_expression(parts[1][0])  # "${expr}" is the value itself, any type
    nodes = [compile_expression(p[0]) if isinstance(p, tuple) else p for p in parts]

    def render(env: Env) -> Any:
        values = [n if isinstance(n, str) else n(env) for n in nodes]
        if any(v is UNKNOWN for v in values):
            return UNKNOWN
        return "".join(_to_string(v) for v in values)

    return render


# --- parser ------------------------------------------------------------------------------------


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.toks = _tokens(source)
        self.i = 0

    def peek(self, offset: int = 0) -> _Tok:
        return self.toks[min(self.i + offset, len(self.toks) - 1)]

    def take(self, text: str | None = None) -> _Tok:
        tok = self.peek()
        if text is not None and tok.text != text:
            raise HclError(f"expected {text!r}, got {tok.text!r} in {self.source!r}")
        self.i += 1
        return tok

    def at(self, *texts: str) -> bool:
        tok = self.peek()
        return tok.kind in ("op", "ident") and tok.text in texts

    def parse(self) -> Node:
        node = self.expression()
        if self.peek().kind != "end":
            raise HclError(f"unexpected {self.peek().text!r} in {self.source!r}")
        return node

    def expression(self) -> Node:
        cond = self.binary(0)
        if not self.at("?"):
            return cond
        self.take("?")
        yes = self.expression()
        self.take(":")
        no = self.expression()

        def conditional(env: Env) -> Any:
            c = cond(env)
            if c is UNKNOWN:
                return UNKNOWN
            return yes(env) if _bool(c) else no(env)

        return conditional

    _LEVELS = (("||",), ("&&",), ("==", "!="), ("<", "<=", ">", ">="), ("+", "-"),
               ("*", "/", "%"))

    def binary(self, level: int) -> Node:
        if level == len(self._LEVELS):
            return self.unary()
        left = self.binary(level + 1)
        while self.peek().kind == "op" and self.peek().text in self._LEVELS[level]:
            op = self.take().text
            right = self.binary(level + 1)
            left = _binary(op, left, right)
        return left

    def unary(self) -> Node:
        if self.at("!", "-"):
            op = self.take().text
            operand = self.unary()

            def apply(env: Env) -> Any:
                v = operand(env)
                if v is UNKNOWN:
                    return UNKNOWN
                return (not _bool(v)) if op == "!" else -_number(v)

            return apply
        return self.postfix()

    def postfix(self) -> Node:
        node = self.primary()
        while True:
            if self.at("."):
                self.take(".")
                tok = self.take()
                if tok.text == "*":
                    continue  # a splat: the shapes checked here do not use one
                node = _attribute(node, tok.text)
            elif self.at("[") and self.peek(1).text != "for":
                self.take("[")
                if self.at("*"):
                    self.take("*")
                    self.take("]")
                    continue
                index = self.expression()
                self.take("]")
                node = _index(node, index)
            else:
                return node

    def primary(self) -> Node:
        tok = self.take()
        if tok.kind == "number":
            value: Any = float(tok.text) if any(c in tok.text for c in ".eE") else int(tok.text)
            return lambda env: value
        if tok.kind == "string":
            return template(_unescape(tok.text))
        if tok.text == "(":
            node = self.expression()
            self.take(")")
            return node
        if tok.text == "[":
            return self.for_expression("]") if self.at("for") else self.sequence()
        if tok.text == "{":
            return self.for_expression("}") if self.at("for") else self.mapping()
        if tok.kind == "ident":
            if tok.text in ("true", "false", "null"):
                constant = {"true": True, "false": False, "null": None}[tok.text]
                return lambda env: constant
            if self.at("("):
                return self.call(tok.text)
            name = tok.text
            return lambda env: _lookup(env, name)
        raise HclError(f"unexpected {tok.text!r} in {self.source!r}")

    def sequence(self) -> Node:
        items: list[Node] = []
        while not self.at("]"):
            items.append(self.expression())
            if not self.at("]"):
                self.take(",")
        self.take("]")
        return lambda env: [item(env) for item in items]

    def mapping(self) -> Node:
        pairs: list[tuple[Node, Node]] = []
        while not self.at("}"):
            key_tok = self.peek()
            if key_tok.kind == "ident" and self.peek(1).text in ("=", ":"):
                self.take()
                key: Node = (lambda k: (lambda env: k))(key_tok.text)
            else:
                key = self.expression()
            self.take()  # "=" or ":"
            pairs.append((key, self.expression()))
            if self.at(","):
                self.take(",")
        self.take("}")

        def build(env: Env) -> Any:
            out: dict[Any, Any] = {}
            for k, v in pairs:
                key = k(env)
                if key is UNKNOWN:
                    return UNKNOWN
                out[key] = v(env)
            return out

        return build

    def for_expression(self, close: str) -> Node:
        self.take("for")
        first = self.take().text
        second = None
        if self.at(","):
            self.take(",")
            second = self.take().text
        self.take("in")
        collection = self.expression()
        self.take(":")
        key_node = self.expression()
        value_node: Node | None = None
        grouped = False
        if close == "}":
            self.take("=>")
            value_node = self.expression()
            if self.at("..."):
                self.take("...")
                grouped = True
        cond: Node | None = None
        if self.at("if"):
            self.take("if")
            cond = self.expression()
        self.take(close)

        def run(env: Env) -> Any:
            coll = collection(env)
            if coll is UNKNOWN:
                return UNKNOWN
            if isinstance(coll, dict):
                pairs = list(coll.items())
            elif isinstance(coll, (list, tuple, set)):
                pairs = list(enumerate(coll))
            else:
                raise HclError(f"cannot iterate over {coll!r}")
            out_list: list[Any] = []
            out_map: dict[Any, Any] = {}
            for k, v in pairs:
                scope = dict(env)
                if second is None:
                    scope[first] = v
                else:
                    scope[first], scope[second] = k, v
                if cond is not None:
                    c = cond(scope)
                    if c is UNKNOWN:
                        return UNKNOWN
                    if not _bool(c):
                        continue
                if value_node is None:
                    out_list.append(key_node(scope))
                else:
                    key = key_node(scope)
                    if key is UNKNOWN:
                        return UNKNOWN
                    value = value_node(scope)
                    if grouped:
                        out_map.setdefault(key, []).append(value)
                    elif key in out_map:
                        raise HclError(f"duplicate key {key!r} in a for expression")
                    else:
                        out_map[key] = value
            return out_list if value_node is None else out_map

        return run

    def call(self, name: str) -> Node:
        self.take("(")
        args: list[Node] = []
        expand = False
        while not self.at(")"):
            args.append(self.expression())
            if self.at("..."):
                self.take("...")
                expand = True
            if not self.at(")"):
                self.take(",")
        self.take(")")
        if name in ("can", "try"):
            return _guarded(name, args)
        function = FUNCTIONS.get(name)
        if function is None:
            raise HclError(f"function {name}() is not supported by this evaluator")

        def invoke(env: Env) -> Any:
            values = [a(env) for a in args]
            if expand:
                values = values[:-1] + list(values[-1])
            if name in _ANY_ALL:
                return _any_all(name, values[0])
            if name in _SHALLOW:
                if any(v is UNKNOWN for v in values):
                    return UNKNOWN
            elif any(_contains_unknown(v) for v in values):
                return UNKNOWN
            return function(*values)

        return invoke


_SHALLOW = frozenset({"keys", "length", "merge", "concat", "flatten", "values", "lookup",
                      "one", "tolist", "coalesce"})
"""Functions whose result is known when their arguments' shape is (unknown elements pass)."""
_ANY_ALL = frozenset({"alltrue", "anytrue"})


def _any_all(name: str, values: Any) -> Any:
    """alltrue/anytrue decided by any known element that settles them."""
    if values is UNKNOWN:
        return UNKNOWN
    known_values = [_bool(v) for v in values if v is not UNKNOWN]
    settles = name == "anytrue"
    if settles in known_values:
        return settles
    return UNKNOWN if len(known_values) < len(values) else not settles


def _guarded(name: str, args: list[Node]) -> Node:
    def can(env: Env) -> Any:
        try:
            value = args[0](env)
        except HclError:
            return False
        return UNKNOWN if value is UNKNOWN else True

    def attempt(env: Env) -> Any:
        for arg in args:
            try:
                return arg(env)
            except HclError:
                continue
        raise HclError("try(): no argument evaluated")

    return can if name == "can" else attempt


def _lookup(env: Env, name: str) -> Any:
    if name in env:
        return env[name]
    # module.x, data.x, aws_*.x, path.module ...: known only after apply (or irrelevant)
    return UNKNOWN


def _attribute(node: Node, name: str) -> Node:
    def get(env: Env) -> Any:
        value = node(env)
        if value is UNKNOWN:
            return UNKNOWN
        if isinstance(value, Mapping):
            if name not in value:
                raise HclError(f"no attribute {name!r}")
            return value[name]
        raise HclError(f"cannot read .{name} of {value!r}")

    return get


def _index(node: Node, index: Node) -> Node:
    def get(env: Env) -> Any:
        value, key = node(env), index(env)
        if value is UNKNOWN or key is UNKNOWN:
            return UNKNOWN
        try:
            return value[int(key) if isinstance(value, list) else key]
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            raise HclError(f"invalid index {key!r}") from exc

    return get


def _binary(op: str, left: Node, right: Node) -> Node:
    def apply(env: Env) -> Any:
        a = left(env)
        if op == "&&" and a is not UNKNOWN and not _bool(a):
            return False
        if op == "||" and a is not UNKNOWN and _bool(a):
            return True
        b = right(env)
        if op in ("&&", "||"):
            if b is UNKNOWN:
                return UNKNOWN
            if a is UNKNOWN:
                return UNKNOWN if _bool(b) == (op == "&&") else _bool(b)
            return _bool(b)
        if a is UNKNOWN or b is UNKNOWN:
            return UNKNOWN
        if op == "==":
            return _equal(a, b)
        if op == "!=":
            return not _equal(a, b)
        x, y = _number(a), _number(b)
        if op == "/" and y == 0:
            raise HclError("division by zero")
        result = {"<": lambda: x < y, "<=": lambda: x <= y, ">": lambda: x > y,
                  ">=": lambda: x >= y, "+": lambda: x + y, "-": lambda: x - y,
                  "*": lambda: x * y, "/": lambda: x / y, "%": lambda: x % y}[op]()
        return result

    return apply


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    return bool(a == b)


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return value == "true"
    raise HclError(f"{value!r} is not a bool")


def _number(value: Any) -> float:
    if isinstance(value, bool) or value is None:
        raise HclError(f"{value!r} is not a number")
    if isinstance(value, (int, float)):
        return value
    try:
        return float(value) if "." in str(value) else int(value)
    except (TypeError, ValueError) as exc:
        raise HclError(f"{value!r} is not a number") from exc


def _to_string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (str, int, float)):
        return str(value)
    raise HclError(f"{value!r} cannot be turned into a string")


def _contains_unknown(value: Any) -> bool:
    if value is UNKNOWN:
        return True
    if isinstance(value, Mapping):
        return any(_contains_unknown(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_contains_unknown(v) for v in value)
    return False


# --- functions -----------------------------------------------------------------------------------


def _regex(pattern: str, text: str) -> Any:
    match = re.search(pattern, _to_string(text))
    if match is None:
        raise HclError(f"{text!r} does not match {pattern!r}")
    if match.groupdict():
        return match.groupdict()
    return list(match.groups()) if match.groups() else match.group()


def _replace(text: str, old: str, new: str) -> str:
    if len(old) > 1 and old.startswith("/") and old.endswith("/"):
        return re.sub(old[1:-1], re.sub(r"\$(\d)", r"\\\1", new), text)
    return text.replace(old, new)


def _coalesce(*values: Any) -> Any:
    for value in values:
        if value is not None and value != "":
            return value
    raise HclError("coalesce(): no non-null, non-empty argument")


def _flatten(value: list[Any]) -> list[Any]:
    out: list[Any] = []
    for item in value:
        out.extend(_flatten(item) if isinstance(item, list) else [item])
    return out


def _length(value: Any) -> int:
    if value is None:
        raise HclError("length(null)")
    return len(value)


def _one(value: list[Any]) -> Any:
    if len(value) > 1:
        raise HclError("one(): more than one element")
    return value[0] if value else None


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "regex": _regex,
    "alltrue": lambda xs: all(_bool(x) for x in xs),
    "anytrue": lambda xs: any(_bool(x) for x in xs),
    "contains": lambda xs, x: any(_equal(v, x) for v in xs),
    "keys": lambda m: sorted(m),
    "values": lambda m: [m[k] for k in sorted(m)],
    "length": _length,
    "flatten": _flatten,
    "concat": lambda *xs: [v for x in xs for v in x],
    "merge": lambda *ms: {k: v for m in ms if m is not None for k, v in m.items()},
    "strcontains": lambda s, sub: sub in s,
    "startswith": lambda s, p: s.startswith(p),
    "endswith": lambda s, p: s.endswith(p),
    "lower": lambda s: s.lower(),
    "upper": lambda s: s.upper(),
    "title": lambda s: s.title(),
    "tostring": lambda v: None if v is None else _to_string(v),
    "tonumber": lambda v: None if v is None else _number(v),
    "tolist": list,
    "toset": lambda xs: sorted(set(xs), key=str),
    "coalesce": _coalesce,
    "min": lambda *xs: min(_number(x) for x in xs),
    "max": lambda *xs: max(_number(x) for x in xs),
    "abs": lambda x: abs(_number(x)),
    "floor": lambda x: math.floor(_number(x)),
    "ceil": lambda x: math.ceil(_number(x)),
    "split": lambda sep, s: s.split(sep),
    "join": lambda sep, xs: sep.join(_to_string(x) for x in xs),
    "replace": _replace,
    "trim": lambda s, chars: s.strip(chars),
    "trimspace": lambda s: s.strip(),
    "format": lambda fmt, *xs: re.sub(r"%[sd]", "{}", fmt).format(*xs),
    "lookup": lambda m, k, *d: m[k] if k in m else (d[0] if d else _missing(k)),
    "one": _one,
    "jsonencode": lambda v: __import__("json").dumps(v, separators=(",", ":")),
}


def _missing(key: Any) -> Any:
    raise HclError(f"lookup(): no key {key!r}")


_COMPILED: dict[str, Node] = {}


def compile_expression(source: str) -> Node:
    """A node evaluating one expression (without the surrounding ``${ }``)."""
    node = _COMPILED.get(source)
    if node is None:
        node = _COMPILED[source] = _Parser(source).parse()
    return node


def evaluate(value: Any, env: Env) -> Any:
    """A python-hcl2 value (strings may hold ``${...}``), evaluated in ``env``."""
    if isinstance(value, str):
        return template(value)(env) if "${" in value else value
    if isinstance(value, dict):
        return {evaluate(k, env): evaluate(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [evaluate(v, env) for v in value]
    return value


def known(value: Any) -> bool:
    return not _contains_unknown(value)
