#!/usr/bin/env bash
# An LXD for the LXD driver's tests and demo, and the small image their sessions run.
#
#   Scripts/lxd-sandbox.sh up     print `export LXD_DIR=…` for an LXD that answers: the one at
#                                 $LXD_DIR when it answers, else a private lxd this script
#                                 installs (apt) and starts, initialised with a preseed (bridge
#                                 with an explicit subnet, `dir` pool). Then it imports the
#                                 session image (alias streamspace-test/httpd) if missing.
#                                 Messages go to stderr.
#   Scripts/lxd-sandbox.sh down   shut the private lxd down (if this script started one) and
#                                 remove what it leaves on the host (its bridge, nft table).
#
# The image is busybox from Debian's busybox-static: /sbin/init runs an inittab that prints a
# line on the console and serves /config over HTTP on port 8080 — no image server needed.
set -euo pipefail

SANDBOX_DIR="${STREAMSPACE_LXD_SANDBOX:-/tmp/streamspace-lxd}"
PRIVATE_LXD_DIR="$SANDBOX_DIR/lxd"
ALIAS="${STREAMSPACE_LXD_TEST_IMAGE:-streamspace-test/httpd}"
BRIDGE="${STREAMSPACE_LXD_BRIDGE:-sslxdbr0}"
SUBNET="${STREAMSPACE_LXD_SUBNET:-10.123.45.1/24}"

say() { printf 'lxd-sandbox: %s\n' "$*" >&2; }

answers() { # $1: LXD_DIR
  [ -S "$1/unix.socket" ] && curl -sf --max-time 3 --unix-socket "$1/unix.socket" http://lxd/1.0 >/dev/null 2>&1
}

install_lxd() {
  if command -v lxd >/dev/null && command -v lxc >/dev/null && command -v busybox >/dev/null; then return; fi
  say "installing lxd and busybox-static from Debian (apt) …"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq lxd busybox-static curl >/dev/null
}

start_private_lxd() {
  mkdir -p "$PRIVATE_LXD_DIR" "$SANDBOX_DIR/pool"
  if answers "$PRIVATE_LXD_DIR"; then return; fi
  say "no LXD answers here: starting a private lxd (LXD_DIR $PRIVATE_LXD_DIR)"
  LXD_DIR="$PRIVATE_LXD_DIR" setsid lxd --group root >"$SANDBOX_DIR/lxd.log" 2>&1 </dev/null &
  echo $! >"$SANDBOX_DIR/lxd.pid"
  LXD_DIR="$PRIVATE_LXD_DIR" lxd waitready --timeout 60
  # First start: the storage pool and the bridge. `lxd init --auto` cannot pick a subnet on
  # these machines, so the preseed names one.
  if ! LXD_DIR="$PRIVATE_LXD_DIR" lxc storage show default >/dev/null 2>&1; then
    LXD_DIR="$PRIVATE_LXD_DIR" lxd init --preseed >&2 <<EOF
networks:
- name: $BRIDGE
  type: bridge
  config:
    ipv4.address: $SUBNET
    ipv4.nat: "true"
    ipv6.address: none
storage_pools:
- name: default
  driver: dir
  config:
    source: $SANDBOX_DIR/pool
profiles:
- name: default
  devices:
    root:
      path: /
      pool: default
      type: disk
    eth0:
      name: eth0
      network: $BRIDGE
      type: nic
EOF
  fi
}

build_image() {
  if lxc image info "$ALIAS" >/dev/null 2>&1; then return; fi
  say "building the image $ALIAS from busybox-static (no image server needed)"
  local work
  work="$(mktemp -d)"
  mkdir -p "$work/rootfs/bin" "$work/rootfs/sbin" "$work/rootfs/etc" "$work/rootfs/config" \
    "$work/rootfs/proc" "$work/rootfs/sys" "$work/rootfs/dev" "$work/rootfs/tmp" "$work/rootfs/run"
  cp "$(command -v busybox)" "$work/rootfs/bin/busybox"
  for applet in $("$work/rootfs/bin/busybox" --list); do
    [ -e "$work/rootfs/bin/$applet" ] || ln -s busybox "$work/rootfs/bin/$applet"
  done
  ln -s ../bin/busybox "$work/rootfs/sbin/init"
  echo 'root:x:0:0:root:/root:/bin/sh' >"$work/rootfs/etc/passwd"
  cat >"$work/rootfs/etc/inittab" <<'EOF'
::sysinit:/bin/mount -t proc proc /proc
::sysinit:/bin/sh -c '[ -f /config/index.html ] || echo "streamspace session $(hostname)" > /config/index.html'
::sysinit:/bin/echo "session starting (console)"
::respawn:/bin/httpd -f -p 8080 -h /config
::shutdown:/bin/echo "session stopping (console)"
EOF
  cat >"$work/metadata.yaml" <<EOF
architecture: $(uname -m)
creation_date: $(date +%s)
properties:
  description: StreamSpace test session (busybox httpd on 8080)
  os: busybox
EOF
  tar -C "$work" -czf "$work/image.tar.gz" metadata.yaml rootfs
  lxc image import "$work/image.tar.gz" --alias "$ALIAS" >&2
  rm -rf "$work"
}

case "${1:-}" in
  up)
    dir="${LXD_DIR:-}"
    if [ -n "$dir" ] && answers "$dir"; then
      say "using the LXD at $dir"
    else
      install_lxd
      start_private_lxd
      dir="$PRIVATE_LXD_DIR"
    fi
    export LXD_DIR="$dir"
    command -v lxc >/dev/null || install_lxd
    build_image
    echo "export LXD_DIR=$dir"
    ;;
  down)
    if [ -f "$SANDBOX_DIR/lxd.pid" ]; then
      if answers "$PRIVATE_LXD_DIR"; then
        say "shutting the private lxd down"
        LXD_DIR="$PRIVATE_LXD_DIR" timeout 60 lxd shutdown || kill "$(cat "$SANDBOX_DIR/lxd.pid")" 2>/dev/null || true
      fi
      rm -f "$SANDBOX_DIR/lxd.pid"
      ip link delete "$BRIDGE" 2>/dev/null || true
      nft delete table inet lxd 2>/dev/null || true
    fi
    ;;
  *)
    echo "usage: $0 up|down" >&2
    exit 2
    ;;
esac
