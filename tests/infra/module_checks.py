"""What `terraform plan` would check before touching AWS, done offline.

``checks(directory, inputs)`` instantiates the module in ``directory`` with ``inputs``
(the rest from the variables' defaults) and evaluates, with :mod:`tests.infra.hcl_eval`:

- every ``validation`` block of its variables,
- every ``precondition`` of its resources and data sources,
- for every ``module`` block with a local source: that each argument is a variable of
  the called module and each variable without a default is given; then, recursively,
  all of the above in the called module with the arguments evaluated in the caller.

Each check comes back as passed (True), failed (False) or undecided (UNKNOWN: it depends
on something known only after apply, such as a table ARN).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.infra.hcl_eval import UNKNOWN, evaluate
from tests.terraform_support import parse

META_ARGUMENTS = frozenset({"source", "version", "providers", "depends_on", "count",
                            "for_each"})


@dataclass(frozen=True)
class Check:
    where: str
    """Module path and the block, e.g. ``root > module.sqs: precondition of aws_sqs_queue.this``."""
    message: str
    """The block's error message (what terraform plan would print)."""
    outcome: Any
    """True (passes), False (plan fails) or UNKNOWN (decided only at apply)."""


def _blocks(directory: Path, kind: str) -> Iterator[tuple[str, Any]]:
    for path in sorted(directory.glob("*.tf")):
        for block in parse(path).get(kind, []):
            yield from block.items()


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


class _Locals(Mapping[str, Any]):
    """A module's locals, each evaluated on first use in the module's scope."""

    def __init__(self, directory: Path, env: dict[str, Any]) -> None:
        self._raw = {k: v for path in sorted(directory.glob("*.tf"))
                     for block in parse(path).get("locals", []) for k, v in block.items()}
        self._env = env
        self._done: dict[str, Any] = {}
        self._busy: set[str] = set()

    def __getitem__(self, name: str) -> Any:
        if name not in self._done:
            if name in self._busy:
                raise KeyError(f"local.{name} refers to itself")
            self._busy.add(name)
            self._done[name] = evaluate(self._raw[name], self._env)
            self._busy.discard(name)
        return self._done[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._raw)

    def __len__(self) -> int:
        return len(self._raw)


def scope(directory: Path, inputs: Mapping[str, Any]) -> dict[str, Any]:
    """The names visible in the module: ``var`` (inputs over defaults) and ``local``."""
    declared = dict(_blocks(directory, "variable"))
    values = {name: inputs[name] if name in inputs else body.get("default", UNKNOWN)
              for name, body in declared.items()}
    env: dict[str, Any] = {"var": values}
    env["local"] = _Locals(directory, env)
    return env


def checks(directory: Path, inputs: Mapping[str, Any] | None = None,
           where: str = "root") -> list[Check]:
    """Every plan-time check of the module in ``directory`` and of the modules it calls."""
    inputs = inputs or {}
    env = scope(directory, inputs)
    found: list[Check] = []
    for name, body in _blocks(directory, "variable"):
        for validation in _list(body.get("validation", [])):
            outcome = evaluate(validation["condition"], {**env, "var": env["var"]})
            found.append(Check(f"{where}: validation of var.{name}",
                               validation["error_message"], outcome))
    for kind in ("resource", "data"):
        for rtype, named in _blocks(directory, kind):
            for rname, body in named.items():
                for lifecycle in _list(body.get("lifecycle", [])):
                    for pre in _list(lifecycle.get("precondition", [])):
                        found.append(Check(
                            f"{where}: precondition of {rtype}.{rname}",
                            pre["error_message"], evaluate(pre["condition"], env)))
    for name, body in _blocks(directory, "module"):
        source = body["source"]
        if not source.startswith("."):
            continue
        called = (directory / source).resolve()
        label = f"{where} > module.{name}"
        declared = dict(_blocks(called, "variable"))
        arguments = {k: v for k, v in body.items() if k not in META_ARGUMENTS}
        for arg in arguments:
            found.append(Check(f"{label}: argument {arg}",
                               f"An argument named {arg!r} is not expected here.",
                               arg in declared))
        for var, spec in declared.items():
            if "default" not in spec:
                found.append(Check(f"{label}: argument {var}",
                                   f"The argument {var!r} is required.", var in arguments))
        values = {k: evaluate(v, env) for k, v in arguments.items() if k in declared}
        found.extend(checks(called, values, label))
    return found


def failures(directory: Path, inputs: Mapping[str, Any] | None = None) -> list[Check]:
    return [c for c in checks(directory, inputs) if c.outcome is False]
