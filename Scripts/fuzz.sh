#!/usr/bin/env bash
# Fuzzes what reads untrusted bytes: the Control Plane's frames and commands, the start-payload
# translation, the schema validator, and the Docker and LXD drivers' response parsers.
#
#   Scripts/fuzz.sh [--seconds N] [TARGET…]     (default: 30 s for each of all targets)
#   Scripts/fuzz.sh --seconds 600 FuzzFrame     # a longer campaign by hand
#   Scripts/fuzz.sh --list                      # the targets
#
# The targets (Tests/Fuzz/<target>/) link libFuzzer, so Package.swift declares them only under
# STREAMSPACE_FUZZ=1; they are built here in their own scratch path (.build-fuzz), so
# `swift build` never sees them and .build's objects stay uninstrumented. The compiler gets
# `-sanitize=fuzzer` (coverage instrumentation of every Swift module) but the link gets libFuzzer
# without its main: SwiftPM gives each Swift executable its own entry point (`<target>_main`,
# renamed to main at link time), which would collide with libFuzzer's; each target's main.swift
# hands its arguments to libFuzzer's driver instead (Tests/Fuzz/FuzzMain). Release, because
# FuzzFrame ran 28 k inputs/s optimised against 16 k in a debug build (same seeds, 30 s each), and
# Swift keeps its bounds and overflow checks at -O, so every out-of-range access still traps.
# The first build, of every target and its dependencies, took 9 min here (2 busy cores); later
# ones take seconds.
#
# Each target runs over a writable corpus, .build-fuzz/corpus/<target> (kept between runs, so
# campaigns add up), plus seeds and a dictionary of their JSON keys and strings, written afresh
# from the golden fixtures (Tests/Fuzz/seeds.py); nothing is written into the repository. Per
# input: at most -timeout seconds (a slower input is reported as a hang) and -rss_limit_mb of
# memory; -max_len per target below. A crash, hang or out-of-memory input is
# kept in .build-fuzz/artifacts/<target>/; the script prints its path and the command that
# replays it, and exits 1. Each input found that way becomes a regression test in the normal
# suite, next to the tests of what it broke, with its fix; the input is kept in
# Tests/Fixtures/fuzz/<target>/, which seeds later runs.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=30
targets=()
all=(FuzzFrame FuzzStartPayload FuzzSchema FuzzDockerResponses FuzzDockerLogs FuzzLXDResponses FuzzPortList)
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --list) printf '%s\n' "${all[@]}"; exit 0 ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    -*) echo "fuzz.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
[ ${#targets[@]} -gt 0 ] || targets=("${all[@]}")

# The largest input each target is given: a frame is at most 512 KiB, but the parsers' paths
# are all reached by inputs of a few KiB, and short inputs run many times faster.
max_len() {
  case "$1" in
    FuzzPortList) echo 256 ;;
    FuzzDockerLogs) echo 4096 ;;
    FuzzStartPayload|FuzzSchema) echo 8192 ;;
    *) echo 16384 ;;
  esac
}

scratch=.build-fuzz
toolchain="$(dirname "$(readlink -f "$(command -v swiftc)")")/.."
libfuzzer=$(ls "$toolchain"/lib/clang/*/lib/linux/libclang_rt.fuzzer_no_main-"$(uname -m)".a 2>/dev/null | head -1)
[ -n "$libfuzzer" ] || { echo "fuzz.sh: this Swift toolchain ($toolchain) has no libFuzzer (libclang_rt.fuzzer_no_main)" >&2; exit 1; }
build_started=$(date +%s)
for target in "${targets[@]}"; do
  STREAMSPACE_FUZZ=1 swift build -c release --scratch-path "$scratch" --product "$target" \
    -Xswiftc -Xfrontend -Xswiftc -sanitize=fuzzer -Xlinker "$libfuzzer" -Xlinker -lstdc++ 2>&1 \
    | grep -e "error" -e "Compiling" -e "complete" | grep -v "^\[" || true
  [ -x "$scratch/release/$target" ] || { echo "fuzz.sh: building $target failed" >&2; exit 1; }
done
echo "fuzz.sh: built ${targets[*]} in $(( $(date +%s) - build_started )) s"

rm -rf "$scratch/seeds"
python3 Tests/Fuzz/seeds.py "$scratch/seeds"

failed=()
total_runs=0
total_seconds=0
summary=()
for target in "${targets[@]}"; do
  corpus="$scratch/corpus/$target" artifacts="$scratch/artifacts/$target"
  mkdir -p "$corpus" "$artifacts" "$scratch/seeds/$target"
  log="$scratch/$target.log"
  echo "== $target: $seconds s"
  started=$(date +%s)
  status=0
  dictionary=()
  [ ! -f "$scratch/seeds/$target.dict" ] || dictionary=(-dict="$scratch/seeds/$target.dict")
  # Swift's own crash backtracer would take the fatal signals, and libFuzzer then never saves
  # the input that crashed.
  SWIFT_BACKTRACE=enable=no "$scratch/release/$target" -max_total_time="$seconds" -max_len="$(max_len "$target")" -timeout=5 \
    -rss_limit_mb=1024 -use_value_profile=1 -print_final_stats=1 -artifact_prefix="$artifacts/" \
    "${dictionary[@]}" "$corpus" "$scratch/seeds/$target" >"$log" 2>&1 || status=$?
  elapsed=$(( $(date +%s) - started ))
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  coverage=$(grep -o 'cov: [0-9]*' "$log" | tail -1 || true)
  total_runs=$(( total_runs + ${runs:-0} ))
  total_seconds=$(( total_seconds + elapsed ))
  summary+=("$(printf '%-20s %10s runs %8s exec/s  %s, corpus %s' "$target" "${runs:-?}" "${rate:-?}" \
    "${coverage:-cov: ?}" "$(ls "$corpus" | wc -l)")")
  if [ "$status" -ne 0 ]; then
    artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
    grep -m1 -A12 -e "ERROR: libFuzzer" -e "Fatal error" "$log" >&2 || tail -20 "$log" >&2
    echo "fuzz.sh: $target failed (exit $status); input: ${artifact:-none written, see $log}" >&2
    [ -z "$artifact" ] || echo "fuzz.sh: replay it with $scratch/release/$target $artifact" >&2
    failed+=("$target")
  fi
done

echo
echo "== fuzzing summary"
printf '%s\n' "${summary[@]}"
echo "total: $total_runs runs in $total_seconds s, $(( total_runs / (total_seconds > 0 ? total_seconds : 1) )) exec/s"
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz.sh: crashes or hangs in: ${failed[*]} (inputs in $scratch/artifacts/)" >&2
  exit 1
fi
