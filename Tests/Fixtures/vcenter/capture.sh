#!/usr/bin/env bash
# Captures vcsim's SOAP answers for the golden fixtures here (README.md): starts two private
# vcsims with Scripts/vcsim-sandbox.sh (the default inventory, and one with 1,000 VMs), runs
# capture.py against them, and stops both.
set -euo pipefail
cd "$(dirname "$0")"
root="$(cd ../../.. && pwd)"
work="$(mktemp -d)"
cleanup() {
  STREAMSPACE_VCSIM_DIR="$work/small" "$root/Scripts/vcsim-sandbox.sh" down
  STREAMSPACE_VCSIM_DIR="$work/large" "$root/Scripts/vcsim-sandbox.sh" down
  rm -rf "$work"
}
trap cleanup EXIT
STREAMSPACE_VCSIM_DIR="$work/small" "$root/Scripts/vcsim-sandbox.sh" up >"$work/small.env"
# 500 VMs on the standalone host and 500 in the cluster's resource pool.
STREAMSPACE_VCSIM_DIR="$work/large" STREAMSPACE_VCSIM_VMS=500 "$root/Scripts/vcsim-sandbox.sh" up >"$work/large.env"
python3 capture.py "$work/small.env" "$work/large.env"
