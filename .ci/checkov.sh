#!/usr/bin/env bash
# Static security checks of infra/terraform with checkov, in its own virtualenv (checkov
# pins an old boto3 that must not leak into the project's environment).
#
#   .ci/checkov.sh            # creates .venv-checkov on first use (~1.5 min), then ~6 s
#
# Passes only with zero failed checks; every skip is a `#checkov:skip=CKV_...:reason`
# comment on the resource it concerns. --skip-download keeps the run offline (no
# Prisma Cloud guideline lookup); the checks themselves ship with the package.
set -euo pipefail

cd "$(dirname "$0")/.."
VENV=.venv-checkov

if [[ ! -x "$VENV/bin/checkov" ]]; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check checkov
fi

exec "$VENV/bin/checkov" -d infra/terraform --framework terraform --quiet --compact --skip-download
