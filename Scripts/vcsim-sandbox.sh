#!/usr/bin/env bash
# A vCenter for the vCenter driver's tests: vcsim, VMware's vSphere simulator, built here from
# Tests/VCSim (a small main over govmomi's simulator library from Debian; no Go module download).
#
#   Scripts/vcsim-sandbox.sh up     install golang-go and golang-github-vmware-govmomi-dev (apt)
#                                   if missing, build Tests/VCSim into .build-vcsim (again only
#                                   when its source changed), make a CA and a server certificate
#                                   for 127.0.0.1 and a random password, start vcsim on a free
#                                   loopback port and print `export` lines:
#                                     STREAMSPACE_VCSIM_URL            https://127.0.0.1:PORT/sdk
#                                     STREAMSPACE_VCSIM_USER           the one user Login accepts
#                                     STREAMSPACE_VCSIM_PASSWORD_FILE  its password (mode 600)
#                                     STREAMSPACE_VCSIM_CA             the CA that signed vcsim's certificate
#                                     STREAMSPACE_VCSIM_THUMBPRINT     SHA-256 of vcsim's certificate (AA:BB:…)
#                                   Messages go to stderr. A second `up` reuses the running vcsim.
#                                   STREAMSPACE_VCSIM_VMS (default 2) sets the VMs per host and per
#                                   cluster; STREAMSPACE_VCSIM_SESSION_IDLE (a Go duration, default
#                                   none) makes vcsim expire idle sessions.
#   Scripts/vcsim-sandbox.sh down   stop vcsim and delete its directory (keys, password, logs).
#
# State lives in STREAMSPACE_VCSIM_DIR (default /tmp/streamspace-vcsim).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"

SANDBOX_DIR="${STREAMSPACE_VCSIM_DIR:-/tmp/streamspace-vcsim}"
BUILD_DIR="$ROOT/.build-vcsim"
BINARY="$BUILD_DIR/vcsim"
USER_NAME="streamspace@vsphere.local"

say() { printf 'vcsim-sandbox: %s\n' "$*" >&2; }

running() {
  [ -f "$SANDBOX_DIR/vcsim.pid" ] && kill -0 "$(cat "$SANDBOX_DIR/vcsim.pid")" 2>/dev/null &&
    [ -s "$SANDBOX_DIR/port" ] &&
    curl -sf --max-time 3 --cacert "$SANDBOX_DIR/certs/ca.crt" \
      "https://127.0.0.1:$(cat "$SANDBOX_DIR/port")/sdk/vimServiceVersions.xml" >/dev/null 2>&1
}

install_go() {
  if command -v go >/dev/null && [ -d /usr/share/gocode/src/github.com/vmware/govmomi/simulator ]; then return; fi
  say "installing golang-go and golang-github-vmware-govmomi-dev from Debian (apt) …"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq golang-go golang-github-vmware-govmomi-dev >/dev/null ||
    { say "apt-get could not install golang-go golang-github-vmware-govmomi-dev (run it by hand to see why)"; exit 1; }
}

build() {
  if [ -x "$BINARY" ] && [ -z "$(find Tests/VCSim -newer "$BINARY" -print -quit)" ]; then return; fi
  install_go
  say "building vcsim from Tests/VCSim (offline, Debian's govmomi; ~30 s) …"
  mkdir -p "$BUILD_DIR/gopath"
  # GOPATH mode: Debian installs Go libraries as source under /usr/share/gocode, not as modules.
  (cd Tests/VCSim && GO111MODULE=off GOPATH="$BUILD_DIR/gopath:/usr/share/gocode" GOPROXY=off GOFLAGS= \
    GOCACHE="$BUILD_DIR/cache" go build -o "$BINARY.tmp" .) >&2 ||
    { say "go build of Tests/VCSim failed (above)"; exit 1; }
  mv "$BINARY.tmp" "$BINARY"
}

start() {
  mkdir -p "$SANDBOX_DIR"
  chmod 700 "$SANDBOX_DIR"
  Tests/KubeAPIServer/make-certs.sh "$SANDBOX_DIR/certs"
  umask 077
  openssl rand -hex 16 >"$SANDBOX_DIR/password"
  rm -f "$SANDBOX_DIR/port"
  # setsid: vcsim outlives this script; `down` stops it.
  setsid "$BINARY" -listen 127.0.0.1:0 -port-file "$SANDBOX_DIR/port" \
    -cert "$SANDBOX_DIR/certs/server.crt" -key "$SANDBOX_DIR/certs/server.key" \
    -user "$USER_NAME" -password "$(cat "$SANDBOX_DIR/password")" \
    -vm "${STREAMSPACE_VCSIM_VMS:-2}" -session-idle "${STREAMSPACE_VCSIM_SESSION_IDLE:-0}" \
    >"$SANDBOX_DIR/vcsim.log" 2>&1 </dev/null &
  echo $! >"$SANDBOX_DIR/vcsim.pid"
  for _ in $(seq 1 100); do
    [ -s "$SANDBOX_DIR/port" ] && running && break
    kill -0 "$(cat "$SANDBOX_DIR/vcsim.pid")" 2>/dev/null || break
    sleep 0.1
  done
  if ! running; then
    say "vcsim did not answer within 10 s; its log:"
    tail -n 20 "$SANDBOX_DIR/vcsim.log" >&2
    exit 1
  fi
  say "$(tail -n 1 "$SANDBOX_DIR/vcsim.log")"
}

case "${1:-}" in
  up)
    build
    if running; then
      say "reusing vcsim on port $(cat "$SANDBOX_DIR/port")"
    else
      [ -f "$SANDBOX_DIR/vcsim.pid" ] && "$0" down
      start
    fi
    thumbprint="$(openssl x509 -in "$SANDBOX_DIR/certs/server.crt" -noout -fingerprint -sha256 | cut -d= -f2)"
    echo "export STREAMSPACE_VCSIM_URL=https://127.0.0.1:$(cat "$SANDBOX_DIR/port")/sdk"
    echo "export STREAMSPACE_VCSIM_USER=$USER_NAME"
    echo "export STREAMSPACE_VCSIM_PASSWORD_FILE=$SANDBOX_DIR/password"
    echo "export STREAMSPACE_VCSIM_CA=$SANDBOX_DIR/certs/ca.crt"
    echo "export STREAMSPACE_VCSIM_THUMBPRINT=$thumbprint"
    ;;
  down)
    if [ -f "$SANDBOX_DIR/vcsim.pid" ]; then
      pid="$(cat "$SANDBOX_DIR/vcsim.pid")"
      if kill -0 "$pid" 2>/dev/null; then
        say "stopping vcsim (pid $pid)"
        # SIGTERM: vcsim removes its datastores' temporary directories on the way out.
        kill "$pid"
        for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      fi
    fi
    case "$SANDBOX_DIR" in /|"") ;; *) rm -rf "$SANDBOX_DIR" ;; esac
    ;;
  *)
    echo "usage: $0 up|down" >&2
    exit 2
    ;;
esac
