"""Reading the Terraform in infra/terraform with python-hcl2, the same way everywhere."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

TERRAFORM = Path(__file__).resolve().parents[1] / "infra" / "terraform"
MAIN_TF = TERRAFORM / "main.tf"


def unquote(value: Any) -> Any:
    """python-hcl2 >= 7 keeps the quotes of labels and strings unless told not to."""
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    if isinstance(value, dict):
        return {unquote(k): unquote(v) for k, v in value.items() if not k.startswith("__")}
    if isinstance(value, list):
        return [unquote(v) for v in value]
    return value


@cache
def parse(path: Path) -> dict[str, Any]:
    """One .tf file as python-hcl2 reads it, with labels and strings unquoted."""
    import hcl2

    with path.open(encoding="utf-8") as f:
        try:
            from hcl2.utils import SerializationOptions  # python-hcl2 >= 7
        except ImportError:
            return unquote(hcl2.load(f))  # type: ignore[no-any-return]
        options = SerializationOptions(
            with_comments=False, explicit_blocks=False, strip_string_quotes=True
        )
        return unquote(hcl2.load(f, serialization_options=options))  # type: ignore[no-any-return]


def modules(path: Path = MAIN_TF) -> dict[str, dict[str, Any]]:
    """``{name: arguments}`` of the module blocks in one file."""
    return {name: body for block in parse(path).get("module", []) for name, body in block.items()}


def local_values(path: Path = MAIN_TF) -> dict[str, Any]:
    """``{name: value}`` of the locals blocks in one file (expressions left as text)."""
    return {name: value for block in parse(path).get("locals", []) for name, value in block.items()}
