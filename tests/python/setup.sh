#!/usr/bin/env bash
# Creates tests/python/.venv, the Python of tests/tests/python.rs, with the packages pinned in
# requirements.txt (from PyPI). Quick when already done: it installs only when the venv is
# missing or broken, or requirements.txt changed since the last install.
set -euo pipefail
cd "$(dirname "$0")"
if cmp -s requirements.txt .venv/requirements.installed &&
    .venv/bin/python -c 'import sse_starlette, uvicorn' 2>/dev/null; then
    exit 0
fi
rm -f .venv/requirements.installed
.venv/bin/python -c '' 2>/dev/null || python3 -m venv --clear .venv
.venv/bin/pip install -q --disable-pip-version-check -r requirements.txt
cp requirements.txt .venv/requirements.installed
