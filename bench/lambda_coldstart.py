"""Lambda artifact size and cold start, measured locally.

``measure()`` returns:

- ``artifact_bytes``: size of ``linkpulse package`` (deps installed by pip for python3.12
  manylinux x86_64);
- ``lambda_import_ms``: a fresh interpreter importing ``linkpulse.aws_lambda.redirect``
  from the unzipped artifact (median of several runs; boto3 comes from this environment,
  as the Lambda runtime provides it);
- ``lambda_first_invoke_ms``: the first invocation of the redirect handler in a fresh
  interpreter against a moto server (builds the boto3 clients, reads the link, sends
  the click); ``lambda_warm_invoke_ms``: the next invocation.

This machine is not Lambda (no Firecracker, a different CPU share, moto instead of
DynamoDB/SQS over a region's network): compare runs side by side, not with AWS numbers.

    python bench/lambda_coldstart.py [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import zipfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
EVENT = ROOT / "tests" / "events" / "apigw_v2_redirect.json"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
               "AWS_DEFAULT_REGION": "us-east-1"}

IMPORT_PROBE = """
import time
t = time.perf_counter()
import linkpulse.aws_lambda.redirect
print((time.perf_counter() - t) * 1000)
"""

INVOKE_PROBE = """
import json, sys, time
from types import SimpleNamespace
from linkpulse.aws_lambda import redirect
event = json.load(open(sys.argv[1]))
context = SimpleNamespace(function_name="linkpulse-redirect", memory_limit_in_mb=256,
    invoked_function_arn="arn:aws:lambda:us-east-1:0:function:linkpulse-redirect",
    aws_request_id="bench")
out = []
for _ in range(2):
    t = time.perf_counter()
    result = redirect.handler(event, context)
    out.append((time.perf_counter() - t) * 1000)
    assert result["statusCode"] == 302, result
print(json.dumps(out))
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _python(code: str, env: dict[str, str], *args: str) -> str:
    done = subprocess.run([sys.executable, "-c", code, *args], env=env, check=False,
                          capture_output=True, text=True, timeout=120)
    if done.returncode:
        raise RuntimeError(f"probe failed:\n{done.stderr}")
    return done.stdout


def _moto() -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p",
                             str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1)
            return proc, endpoint
        except OSError:
            if time.monotonic() > deadline:
                proc.kill()
                raise
            time.sleep(0.1)


def _deploy(endpoint: str) -> dict[str, str]:
    """Tables, queues and the event's link; the functions' environment for them."""
    import boto3

    from linkpulse.backends.aws.resources import create_resources
    from linkpulse.core import service
    from linkpulse.settings import Settings

    kw: dict[str, Any] = {"endpoint_url": endpoint, "region_name": "us-east-1",
                          "aws_access_key_id": "bench", "aws_secret_access_key": "bench"}
    dynamodb, sqs = boto3.client("dynamodb", **kw), boto3.client("sqs", **kw)
    settings = Settings(backend="aws", endpoint_url=endpoint)
    create_resources(settings, dynamodb, sqs)
    from linkpulse.backends import aws

    components = aws.build(settings, dynamodb=dynamodb, sqs=sqs)
    code = json.loads(EVENT.read_text())["pathParameters"]["code"]
    if components.links.get(code) is None:
        service.shorten(components.links, "https://example.com/bench", alias=code)
    queue_url = sqs.get_queue_url(QueueName=settings.queue_name)["QueueUrl"]
    return {"LINKPULSE_BACKEND": "aws", "LINKPULSE_ENDPOINT_URL": endpoint,
            "LINKPULSE_QUEUE_URL": queue_url, "POWERTOOLS_SERVICE_NAME": "linkpulse",
            "POWERTOOLS_LOG_LEVEL": "WARNING", **CREDENTIALS}


def measure(runs: int = 5) -> dict[str, Any]:
    from linkpulse.packaging import build_artifact, install_deps

    with tempfile.TemporaryDirectory(prefix="lp-coldstart-") as tmp_name:
        tmp = Path(tmp_name)
        arch = "arm64" if platform.machine() == "aarch64" else "x86_64"  # run here
        install_deps(tmp / "deps", arch)
        artifact = build_artifact(tmp / "linkpulse-lambda.zip", deps_dir=tmp / "deps")
        task = tmp / "task"
        with zipfile.ZipFile(artifact.path) as zf:
            zf.extractall(task)
        base = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": str(task),
                "PYTHONDONTWRITEBYTECODE": "1"}
        imports = [float(_python(IMPORT_PROBE, base)) for _ in range(runs)]
        proc, endpoint = _moto()
        try:
            env = {**base, **_deploy(endpoint)}
            invokes = [json.loads(_python(INVOKE_PROBE, env, str(EVENT)))
                       for _ in range(runs)]
        finally:
            proc.terminate()
            proc.wait(10)
    return {
        "artifact_bytes": artifact.size,
        "artifact_files": artifact.files,
        "lambda_import_ms": round(statistics.median(imports), 1),
        "lambda_first_invoke_ms": round(statistics.median(i[0] for i in invokes), 1),
        "lambda_warm_invoke_ms": round(statistics.median(i[1] for i in invokes), 1),
        "runs": runs,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    result = measure(parser.parse_args().runs)
    width = max(map(len, result))
    print(f"{'metric':<{width}}  value")
    for key, value in result.items():
        print(f"{key:<{width}}  {value}")


if __name__ == "__main__":
    main()
