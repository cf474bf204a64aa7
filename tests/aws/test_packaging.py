"""``linkpulse package``: one artifact for the four functions, byte-for-byte reproducible."""

from __future__ import annotations

import json
import platform
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from linkpulse.packaging import build_artifact, install_deps

HANDLERS = ("shortener", "redirect", "analytics", "stats")


NATIVE = "arm64" if platform.machine() == "aarch64" else "x86_64"
"""The architecture of this machine: the artifact's handlers are imported here."""
ELF_MACHINE = {"x86_64": 62, "arm64": 183}
"""``e_machine`` of an ELF file built for each Lambda architecture."""


@pytest.fixture(scope="module")
def deps(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The runtime dependencies for python3.12 manylinux on this machine's architecture,
    installed once (pip)."""
    target = tmp_path_factory.mktemp("deps")
    install_deps(target, NATIVE)
    return target


def _machines(zip_path: Path) -> set[int]:
    with zipfile.ZipFile(zip_path) as zf:
        return {int.from_bytes(zf.read(n)[18:20], "little")
                for n in zf.namelist() if n.endswith(".so")}


def test_the_default_artifact_bundles_arm64_wheels_as_terraform_deploys(tmp_path: Path) -> None:
    """``linkpulse package`` with no option builds for arm64, the architecture the
    Terraform deploys by default (20 % cheaper per GB-second)."""
    build_artifact(tmp_path / "a.zip")
    assert _machines(tmp_path / "a.zip") == {ELF_MACHINE["arm64"]}
    variables = (Path(__file__).resolve().parents[2] / "infra" / "terraform"
                 / "variables.tf").read_text(encoding="utf-8")
    block = variables.split('variable "lambda_architecture"', 1)[1].split("}", 1)[0]
    assert 'default     = "arm64"' in block


def test_same_inputs_give_the_same_bytes(deps: Path, tmp_path: Path) -> None:
    first = build_artifact(tmp_path / "a.zip", deps_dir=deps)
    second = build_artifact(tmp_path / "b.zip", deps_dir=deps)
    assert (tmp_path / "a.zip").read_bytes() == (tmp_path / "b.zip").read_bytes()
    assert first.sha256 == second.sha256


def test_cli_writes_the_artifact(deps: Path, tmp_path: Path) -> None:
    out = tmp_path / "dist" / "linkpulse-lambda.zip"
    result = subprocess.run(
        [sys.executable, "-m", "linkpulse.cli", "package", "--output", str(out),
         "--deps-dir", str(deps), "--architecture", NATIVE],
        capture_output=True, text=True, check=True, timeout=120)
    info = json.loads(result.stdout)
    assert info["bytes"] == out.stat().st_size
    assert info["sha256"] == build_artifact(tmp_path / "again.zip", deps_dir=deps).sha256


def test_artifact_holds_the_handlers_and_runtime_deps_and_nothing_of_the_web_edge(
    deps: Path, tmp_path: Path
) -> None:
    build_artifact(tmp_path / "a.zip", deps_dir=deps)
    with zipfile.ZipFile(tmp_path / "a.zip") as zf:
        names = zf.namelist()
        infos = zf.infolist()
    assert names == sorted(names)
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
    assert {i.external_attr >> 16 for i in infos} == {0o100644}
    for handler in HANDLERS:
        assert f"linkpulse/aws_lambda/{handler}.py" in names
    tops = {n.split("/")[0] for n in names}
    assert {"aws_lambda_powertools", "ua_parser", "ua_parser_rs", "publicsuffixlist",
            "linkpulse"} <= tops
    assert any(n.startswith("ua_parser_rs/") and n.endswith(".so") for n in names)
    assert not tops & {"fastapi", "starlette", "uvicorn", "typer", "boto3", "botocore"}
    assert not any(n.startswith(("linkpulse/web/", "linkpulse/cli.py")) for n in names)
    assert not any("__pycache__" in n or n.endswith(".pyc") for n in names)


def test_every_handler_imports_from_the_unzipped_artifact_without_the_web_stack(
    deps: Path, tmp_path: Path
) -> None:
    build_artifact(tmp_path / "a.zip", deps_dir=deps)
    root = tmp_path / "task"
    with zipfile.ZipFile(tmp_path / "a.zip") as zf:
        zf.extractall(root)
    probe = (
        "import importlib, json, sys\n"
        f"for h in {HANDLERS!r}:\n"
        "    assert callable(importlib.import_module('linkpulse.aws_lambda.' + h).handler)\n"
        "print(json.dumps(sorted(m for m in ('fastapi', 'starlette', 'uvicorn', 'typer')"
        " if m in sys.modules)))\n"
        "print(sys.modules['linkpulse'].__file__)\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], cwd=root, capture_output=True,
                         text=True, check=True, timeout=60,
                         env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"})
    web, location = out.stdout.splitlines()
    assert json.loads(web) == []
    assert location.startswith(str(root))
