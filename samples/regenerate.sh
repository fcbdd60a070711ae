#!/bin/sh
# Regenerate the committed demo bundle (samples/demo-bundle and samples/demo-bundle.zip).
# Deterministic: the same code gives byte-identical files; tests/synth/test_scenarios.py checks it.
# Same as: nps-trace-analyzer synth demo -o samples/demo-bundle --zip
set -eu
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
rm -rf samples/demo-bundle samples/demo-bundle.zip
"$PYTHON" - <<'PY'
from pathlib import Path

from nps_trace_analyzer.synth.bundle import generate_demo, zip_bundle

folder = generate_demo(Path("samples/demo-bundle"))
print(f"Bundle: {folder}")
print(f"Zip: {zip_bundle(folder)}")
PY
