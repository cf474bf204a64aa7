"""``linkpulse package``: the one Lambda artifact, byte-for-byte reproducible.

The zip holds the ``linkpulse`` package (minus the web edge and the CLI) and the Lambda
runtime dependencies that the python3.12 runtime lacks: Powertools, ua-parser with
the manylinux wheel of its Rust matcher, publicsuffixlist (the domain
blocklist), segno (QR codes) and iptocc (countries; a Rust wheel with the registries'
data inside). boto3 is not bundled (the runtime has
it). Same inputs give the same bytes: entries sorted, timestamps fixed to 1980-01-01,
permissions fixed, no ``__pycache__``, dependency versions pinned to the ones installed
here. The compiled wheels are for arm64 (Graviton, 20 % cheaper per GB-second) unless
asked for x86_64; the Terraform's ``lambda_architecture`` must name the same.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import linkpulse

RUNTIME_DEPS = ("aws-lambda-powertools", "typing-extensions", "ua-parser", "ua-parser-builtins",
                "ua-parser-rs", "publicsuffixlist", "segno", "iptocc")
PLATFORMS = {
    arch: tuple(f"{p}_{machine}" for p in ("manylinux2014", "manylinux_2_28", "manylinux_2_34"))
    for arch, machine in (("arm64", "aarch64"), ("x86_64", "x86_64"))
}
"""pip platform tags of each Lambda architecture (python3.12 runs on glibc 2.34)."""
ARCHITECTURE = "arm64"
"""The default, as infra/terraform's ``lambda_architecture``."""
PYTHON_VERSION = "3.12"
EXCLUDED = ("web", "cli.py", "packaging.py", "consumer.py", "aws_lambda/local.py",
            "metrics.py", "tally.py")
"""Parts of linkpulse no Lambda function imports (its metrics are EMF, not Prometheus)."""
FIXED_TIME = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class Artifact:
    path: Path
    size: int
    files: int
    sha256: str


def requirements() -> list[str]:
    """The runtime dependencies, pinned to the versions installed in this environment."""
    return [f"{name}=={metadata.version(name)}" for name in RUNTIME_DEPS]


def install_deps(target: Path, architecture: str = ARCHITECTURE) -> None:
    platforms = [arg for p in PLATFORMS[architecture] for arg in ("--platform", p)]
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         "--no-compile", "--no-deps", "--only-binary=:all:", "--implementation", "cp",
         "--python-version", PYTHON_VERSION, *platforms, "--target", str(target),
         *requirements()],
        check=True,
    )


def _files(root: Path, prefix: str, skip: tuple[str, ...] = ()) -> dict[str, Path]:
    out = {}
    for path in root.rglob("*"):
        rel = path.relative_to(root).as_posix()
        if (path.is_dir() or "__pycache__" in path.parts or path.suffix == ".pyc"
                or rel.startswith("bin/") or any(rel == s or rel.startswith(f"{s}/")
                                                 for s in skip)):
            continue
        out[f"{prefix}{rel}"] = path
    return out


def build_artifact(output: Path, *, deps_dir: Path | None = None,
                   architecture: str = ARCHITECTURE) -> Artifact:
    """Write the zip to ``output``; install the dependencies for ``architecture`` with
    pip unless ``deps_dir`` already holds them."""
    with tempfile.TemporaryDirectory(prefix="linkpulse-deps-") as tmp:
        if deps_dir is None:
            deps_dir = Path(tmp)
            install_deps(deps_dir, architecture)
        entries = _files(deps_dir, "")
        entries.update(_files(Path(linkpulse.__file__).parent, "linkpulse/", EXCLUDED))
        output.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(output, "w") as zf:
            for name in sorted(entries):
                info = zipfile.ZipInfo(name, FIXED_TIME)
                info.external_attr = 0o100644 << 16
                info.create_system = 3
                info.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(info, entries[name].read_bytes(), compresslevel=9)
    data = output.read_bytes()
    return Artifact(output, len(data), len(entries), hashlib.sha256(data).hexdigest())
