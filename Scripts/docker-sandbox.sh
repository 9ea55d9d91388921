#!/usr/bin/env bash
# A Docker Engine for the demo and the tests, and the small image their sessions run.
#
#   Scripts/docker-sandbox.sh up     print `export DOCKER_HOST=…` for a Docker that answers: the
#                                    user's own (DOCKER_HOST or /var/run/docker.sock) when it
#                                    answers, else a private dockerd this script installs (apt) and
#                                    starts, with its own socket, data root and pidfile. Then it
#                                    builds the session image if missing. Messages go to stderr.
#   Scripts/docker-sandbox.sh down   stop the private dockerd (if this script started one) and
#                                    undo what dockerd leaves on the host: its bridges, and the
#                                    iptables rules and ip_forward saved before it started.
#
# The image, streamspace-test/httpd:2 (override with STREAMSPACE_TEST_IMAGE), is busybox from
# Debian's busybox-static: no registry is needed. Its web server (Scripts/session-image/
# session-httpd.c, built static with the C compiler at hand) serves /config on port 8080 over
# HTTP and a WebSocket echo at /echo on the same port; it writes /config/index.html on first
# start, so a session's home volume is visible from its URL, and /config/ws.html, a page whose
# script shows the home page and a WebSocket echo (relative URLs: it works behind a prefix).
# Two more images derive from it: streamspace-test/crash:1 and streamspace-test/oom:1 (below).
set -euo pipefail

SANDBOX_DIR="${STREAMSPACE_DOCKER_DIR:-/tmp/streamspace-dockerd}"
PRIVATE_SOCKET="$SANDBOX_DIR/docker.sock"
IMAGE="${STREAMSPACE_TEST_IMAGE:-streamspace-test/httpd:2}"
IMAGE_SOURCES="$(cd "$(dirname "$0")" && pwd)/session-image"

say() { printf 'docker-sandbox: %s\n' "$*" >&2; }

answers() { # $1: DOCKER_HOST value
  local host="$1"
  case "$host" in
    unix://*) [ -S "${host#unix://}" ] && curl -sf --max-time 3 --unix-socket "${host#unix://}" http://docker/_ping >/dev/null 2>&1 ;;
    tcp://*) DOCKER_HOST="$host" docker version --format '{{.Server.APIVersion}}' >/dev/null 2>&1 ;;
    *) return 1 ;;
  esac
}

install_docker() {
  if command -v dockerd >/dev/null && command -v busybox >/dev/null && command -v docker >/dev/null; then return; fi
  say "installing docker.io and busybox-static from Debian (apt) …"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq docker.io busybox-static curl >/dev/null
}

start_private_dockerd() {
  mkdir -p "$SANDBOX_DIR"
  if [ -f "$SANDBOX_DIR/dockerd.pid" ] && kill -0 "$(cat "$SANDBOX_DIR/dockerd.pid")" 2>/dev/null; then
    answers "unix://$PRIVATE_SOCKET" && return
  fi
  say "no Docker answers here: starting a private dockerd (socket $PRIVATE_SOCKET, data in $SANDBOX_DIR)"
  # What dockerd changes on the host (firewall, forwarding), to put back on `down`.
  iptables-save >"$SANDBOX_DIR/iptables.before" 2>/dev/null || true
  sysctl -n net.ipv4.ip_forward >"$SANDBOX_DIR/ip_forward.before" 2>/dev/null || true
  # setsid: the daemon outlives this script but not the machine; `down` stops it.
  setsid dockerd --host "unix://$PRIVATE_SOCKET" --data-root "$SANDBOX_DIR/data" \
    --exec-root "$SANDBOX_DIR/exec" --pidfile "$SANDBOX_DIR/dockerd.pid" \
    >"$SANDBOX_DIR/dockerd.log" 2>&1 </dev/null &
  for _ in $(seq 1 100); do
    answers "unix://$PRIVATE_SOCKET" && return
    sleep 0.1
  done
  say "dockerd did not answer within 10 s; its log:"
  tail -n 20 "$SANDBOX_DIR/dockerd.log" >&2
  exit 1
}

build_image() {
  if docker image inspect "$IMAGE" >/dev/null 2>&1; then return; fi
  say "building $IMAGE from busybox-static (no registry needed)"
  local rootfs
  rootfs="$(mktemp -d)"
  mkdir -p "$rootfs/bin" "$rootfs/config" "$rootfs/tmp" "$rootfs/etc"
  cp "$(command -v busybox)" "$rootfs/bin/busybox"
  for applet in $("$rootfs/bin/busybox" --list); do
    [ -e "$rootfs/bin/$applet" ] || ln -s busybox "$rootfs/bin/$applet"
  done
  echo 'root:x:0:0:root:/root:/bin/sh' >"$rootfs/etc/passwd"
  local cc
  cc="$(command -v gcc || command -v clang || command -v cc)" || { say "no C compiler (gcc or clang) to build session-httpd"; exit 1; }
  "$cc" -static -O2 -o "$rootfs/bin/session-httpd" "$IMAGE_SOURCES/session-httpd.c"
  mkdir -p "$rootfs/www"
  cp "$IMAGE_SOURCES/ws.html" "$rootfs/www/ws.html"
  cat >"$rootfs/bin/session-main" <<'EOF'
#!/bin/sh
# A stand-in for a desktop session: says hello on stdout and stderr, then serves /config
# (and a WebSocket echo at /echo) on 8080.
[ -f /config/index.html ] || echo "streamspace session $HOSTNAME" > /config/index.html
cp -f /www/ws.html /config/ws.html
echo "session starting (stdout)"
echo "session starting (stderr)" >&2
exec session-httpd 8080 /config
EOF
  chmod 755 "$rootfs/bin/session-main"
  tar -C "$rootfs" -c . | docker import -c 'CMD ["/bin/session-main"]' -c 'EXPOSE 8080' - "$IMAGE" >/dev/null
  rm -rf "$rootfs"
}

# Sessions that cannot keep running, for the Kubernetes driver's failure tests: the session
# image with a command that exits 3, and one that grows past any memory limit under 200 MB
# (its shell, PID 1, reads 200 MB into a variable).
FAILING_IMAGES=(
  'streamspace-test/crash:1|["/bin/sh","-c","echo this session exits 3 >&2; exit 3"]'
  'streamspace-test/oom:1|["/bin/sh","-c","x=$(head -c 200000000 /dev/zero | tr \\\\0 a); echo survived"]'
)
build_failing_images() {
  local entry name cmd
  for entry in "${FAILING_IMAGES[@]}"; do
    name="${entry%%|*}" cmd="${entry#*|}"
    docker image inspect "$name" >/dev/null 2>&1 && continue
    say "building $name from $IMAGE"
    printf 'FROM %s\nCMD %s\n' "$IMAGE" "$cmd" | DOCKER_BUILDKIT=0 docker build -q -t "$name" - >/dev/null 2>"$SANDBOX_DIR.build.log" ||
      { say "could not build $name:"; cat "$SANDBOX_DIR.build.log" >&2; exit 1; }
  done
}

case "${1:-}" in
  up)
    host="${DOCKER_HOST:-unix:///var/run/docker.sock}"
    if answers "$host"; then
      say "using the Docker at $host"
    else
      install_docker
      start_private_dockerd
      host="unix://$PRIVATE_SOCKET"
    fi
    export DOCKER_HOST="$host"
    command -v docker >/dev/null || install_docker
    build_image
    build_failing_images
    echo "export DOCKER_HOST=$host"
    ;;
  down)
    if [ -f "$SANDBOX_DIR/dockerd.pid" ]; then
      pid="$(cat "$SANDBOX_DIR/dockerd.pid")"
      if kill -0 "$pid" 2>/dev/null; then
        # The bridges of its networks outlive dockerd: note them while it can still answer.
        bridges="docker0"
        for id in $(DOCKER_HOST="unix://$PRIVATE_SOCKET" docker network ls -q --no-trunc --filter driver=bridge 2>/dev/null); do
          bridges="$bridges br-${id:0:12}"
        done
        say "stopping the private dockerd (pid $pid)"
        kill "$pid"
        for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        for bridge in $bridges; do ip link delete "$bridge" 2>/dev/null || true; done
      fi
      rm -f "$SANDBOX_DIR/dockerd.pid"
      # Put the firewall and forwarding back as they were before the private dockerd.
      if [ -s "$SANDBOX_DIR/iptables.before" ]; then
        iptables-restore <"$SANDBOX_DIR/iptables.before" 2>/dev/null || say "could not restore the iptables rules"
        rm -f "$SANDBOX_DIR/iptables.before"
      fi
      if [ -s "$SANDBOX_DIR/ip_forward.before" ]; then
        sysctl -q -w "net.ipv4.ip_forward=$(cat "$SANDBOX_DIR/ip_forward.before")" || true
        rm -f "$SANDBOX_DIR/ip_forward.before"
      fi
    fi
    ;;
  *)
    echo "usage: $0 up|down" >&2
    exit 2
    ;;
esac
