#!/bin/sh
# Regenerate the committed demo bundle (samples/demo-bundle and samples/demo-bundle.zip).
# Deterministic: the same code gives byte-identical files; tests/synth/test_scenarios.py checks it.
set -eu
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
rm -rf samples/demo-bundle samples/demo-bundle.zip
"$PYTHON" -m nps_trace_analyzer synth demo -o samples/demo-bundle --zip
