#!/usr/bin/env bash
# Captures LXD REST API answers for the LXD driver's golden fixtures (README.md here). Needs an
# LXD (LXD_DIR, e.g. from Scripts/lxd-sandbox.sh up) with the test image alias
# streamspace-test/httpd. It creates instances named ss-fixture-*, configured as the driver
# configures its sessions, and deletes them again.
set -euo pipefail
cd "$(dirname "$0")"
socket="${LXD_DIR:-/var/lib/lxd}/unix.socket"
image="${STREAMSPACE_LXD_TEST_IMAGE:-streamspace-test/httpd}"
api() { curl -sS --unix-socket "$socket" "$@"; }
url() { echo "http://lxd/1.0$1"; }
pretty() { python3 -m json.tool --indent 2; }
wait_for() { api "http://lxd$(python3 -c 'import json,sys; print(json.load(sys.stdin)["operation"])')/wait?timeout=60"; }

instance() {  # name, session, listen port, state key
  cat <<JSON
{"name":"$1","type":"container","source":{"type":"image","alias":"$image"},"profiles":["default"],
 "config":{"user.streamspace.managed":"true","user.streamspace.session":"$2","user.streamspace.user":"alice",
           "user.streamspace.template":"firefox","user.streamspace.ports":"vnc=8080/tcp","user.streamspace.state":"$4",
           "limits.memory":"67108864B","limits.cpu.allowance":"50ms/100ms"},
 "devices":{"ss-port-vnc":{"type":"proxy","listen":"tcp:127.0.0.1:$3","connect":"tcp:127.0.0.1:8080"}}}
JSON
}
cleanup() { for name in ss-fixture-running ss-fixture-stopped ss-fixture-clash; do
  api -X PUT "$(url "/instances/$name/state")" -d '{"action":"stop","force":true}' | wait_for >/dev/null 2>&1 || true
  api -X DELETE "$(url "/instances/$name")" | wait_for >/dev/null 2>&1 || true; done; }
trap cleanup EXIT
cleanup

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# An async answer (the operation) and what waiting on it gives once it succeeded.
instance ss-fixture-running fixture-running "$port" running | api -X POST "$(url /instances)" -d @- | pretty > operation-async-create.json
wait_for < operation-async-create.json | pretty > operation-wait-success.json
api -X PUT "$(url /instances/ss-fixture-running/state)" -d '{"action":"start"}' | wait_for >/dev/null
instance ss-fixture-stopped fixture-stopped "$((port + 1))" hibernated | api -X POST "$(url /instances)" -d @- | wait_for >/dev/null
# A start that fails inside the operation: its proxy device wants the running one's port.
instance ss-fixture-clash fixture-clash "$port" running | api -X POST "$(url /instances)" -d @- | wait_for >/dev/null
api -X PUT "$(url /instances/ss-fixture-clash/state)" -d '{"action":"start"}' | wait_for | pretty > operation-wait-failure.json
api -X DELETE "$(url /instances/ss-fixture-clash)" | wait_for >/dev/null

api "$(url "/instances?recursion=1")" | pretty > instances-recursion-1.json
api "$(url "/instances?recursion=2")" | pretty > instances-recursion-2.json
api "$(url /instances/ss-fixture-running)" | pretty > instance-running.json
api "$(url /instances/ss-fixture-running/state)" | pretty > instance-state-running.json
api "$(url /instances/ss-fixture-stopped/state)" | pretty > instance-state-stopped.json

echo "captured into $(pwd)"
