#!/usr/bin/env bash
# The whole test suite, as the README and CI run it:
#   1. build everything (agent, drivers, tests);
#   2. the embedded JSON Schemas match Docs/schemas; the mock driver's C self-test passes under
#      ASan and UBSan;
#   3. a Docker Engine and an LXD are there (yours, or private daemons started here and stopped
#      at the end: Scripts/docker-sandbox.sh, Scripts/lxd-sandbox.sh); the conformance kit passes the drivers we ship, through
#      the real agent binary; the demo (dev control plane + agent + driver) runs with the mock
#      and with a real Docker session, and a real browser (chromium) opens a Docker session's
#      page and WebSocket through the dev control plane's viewer URL (Scripts/browser-test.sh),
#      and a Kubernetes API (Scripts/kube-sandbox.sh: the test API server of Tests/KubeAPIServer, its
#      pods in that Docker) for the Kubernetes driver's driver-check and live tests, and vcsim
#      (Scripts/vcsim-sandbox.sh) for the SOAP layer's and the vCenter driver's live tests;
#   4. Python's jsonschema agrees with our validator on every fixture; the test Kubernetes API
#      server passes its proofs with kubectl and the Python client;
#   5. the Swift test suite.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }

step "build"
swift build --build-tests

step "embedded schemas are current"
python3 Scripts/gen-schemas.py --check

step "the mock driver's C self-test, under ASan and UBSan (Plugins/Mock/README.md)"
selftest="$(mktemp -d)"
gcc -std=c11 -O1 -g -fsanitize=address,undefined -shared -fPIC -fvisibility=hidden \
  -I Sources/DriverABI/include Plugins/Mock/*.c -o "$selftest/mock_asan.so" -lpthread
gcc -std=c11 -O1 -g -fsanitize=address,undefined -I Sources/DriverABI/include -I Plugins/Mock \
  Plugins/Mock/tests/mock_selftest.c Plugins/Mock/mini_json.c -o "$selftest/mock_selftest" -ldl -lpthread
"$selftest/mock_selftest" "$selftest/mock_asan.so" | grep -E "^FAIL|passed, "
rm -rf "$selftest"

step "a Docker Engine for the Docker driver (Scripts/docker-sandbox.sh)"
eval "$(Scripts/docker-sandbox.sh up)"
trap 'Scripts/docker-sandbox.sh down' EXIT
# The Docker driver's Swift tests fail, rather than skip, when Docker is missing.
export STREAMSPACE_REQUIRE_DOCKER=1
image="${STREAMSPACE_TEST_IMAGE:-streamspace-test/httpd:2}"

for driver in mock sample; do
  step "agent driver-check --driver $driver"
  .build/debug/agent driver-check --driver "$driver"
done
step "agent driver-check --driver docker"
.build/debug/agent driver-check --driver docker --image "$image" --port 8080

step "an LXD for the LXD driver (Scripts/lxd-sandbox.sh)"
eval "$(Scripts/lxd-sandbox.sh up)"
trap 'Scripts/lxd-sandbox.sh down; Scripts/docker-sandbox.sh down' EXIT
export STREAMSPACE_REQUIRE_LXD=1
step "agent driver-check --driver lxd"
.build/debug/agent driver-check --driver lxd --driver-config '{"stopTimeoutSeconds": 2}' \
  --image "${STREAMSPACE_LXD_TEST_IMAGE:-streamspace-test/httpd}" --port 8080

step "a Kubernetes API for the Kubernetes driver (Scripts/kube-sandbox.sh: the test API server, pods in the Docker above)"
# metrics.k8s.io served, as on a cluster with metrics-server: the driver's session metrics need it.
export STREAMSPACE_KUBE_METRICS=1
eval "$(Scripts/kube-sandbox.sh up)"
trap 'Scripts/kube-sandbox.sh down; Scripts/lxd-sandbox.sh down; Scripts/docker-sandbox.sh down' EXIT
export STREAMSPACE_REQUIRE_KUBE=1
step "agent driver-check --driver kubernetes"
.build/debug/agent driver-check --driver kubernetes --driver-config "{\"kubeconfig\": \"$STREAMSPACE_KUBECONFIG\"}" \
  --image "$image" --port 8080

step "a vCenter for the vCenter driver (Scripts/vcsim-sandbox.sh: VMware's vcsim, built from Tests/VCSim)"
eval "$(Scripts/vcsim-sandbox.sh up)"
trap 'Scripts/vcsim-sandbox.sh down; Scripts/kube-sandbox.sh down; Scripts/lxd-sandbox.sh down; Scripts/docker-sandbox.sh down' EXIT
export STREAMSPACE_REQUIRE_VCSIM=1

step "agent demo --driver mock"
.build/debug/agent demo --driver mock
step "agent demo --driver docker (what the README's first command, Scripts/demo.sh, runs)"
.build/debug/agent demo --driver docker --image "$image" --port 8080 --check-url
step "a real browser through the viewer URL and the session tunnel (Scripts/browser-test.sh)"
Scripts/browser-test.sh

step "schema cross-check with Python jsonschema"
python3 -m pytest -q Tests/schema_crosscheck.py

step "the test Kubernetes API server, driven by kubectl and the Python kubernetes client"
python3 -c 'import kubernetes' 2>/dev/null || python3 -m pip install -q kubernetes
python3 -m pytest -q Tests/kube_apiserver_test.py

step "swift test"
# One test at a time: the platform tests watch Docker and LXD through their CLIs, synchronously,
# and several of those at once on a 2-core machine starve the in-process control planes and
# agents of the cooperative thread pool (their pings and heartbeats then time out).
swift test --skip-build --no-parallel
