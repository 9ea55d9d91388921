#!/usr/bin/env bash
# The whole test suite, as the README and CI run it:
#   1. build everything (agent, drivers, tests);
#   2. the embedded JSON Schemas match Docs/schemas;
#   3. the conformance kit passes the drivers we ship, through the real agent binary, and the
#      demo (dev control plane + agent + mock driver) runs;
#   4. Python's jsonschema agrees with our validator on every fixture;
#   5. the Swift test suite.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }

step "build"
swift build --build-tests

step "embedded schemas are current"
python3 Scripts/gen-schemas.py --check

for driver in mock sample; do
  step "agent driver-check --driver $driver"
  .build/debug/agent driver-check --driver "$driver"
done

step "agent demo --driver mock (the README's first command)"
.build/debug/agent demo --driver mock

step "schema cross-check with Python jsonschema"
python3 -m pytest -q Tests/schema_crosscheck.py

step "swift test"
swift test --skip-build
