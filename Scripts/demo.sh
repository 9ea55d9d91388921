#!/usr/bin/env bash
# The agent's main job on this machine, in one command: a dev control plane (as strict as the
# real StreamSpace server), the agent with the Docker driver, and one real session — a
# container — started, fetched over its URL, hibernated, woken and stopped.
#
# Uses your Docker when DOCKER_HOST or /var/run/docker.sock answers; otherwise installs and
# starts a private dockerd (Scripts/docker-sandbox.sh says so), and stops it again at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

swift build --product agent
swift build --product docker
eval "$(Scripts/docker-sandbox.sh up)"
trap 'Scripts/docker-sandbox.sh down' EXIT

.build/debug/agent demo --driver docker --image "${STREAMSPACE_TEST_IMAGE:-streamspace-test/httpd:2}" --port 8080 --check-url "$@"
