#!/usr/bin/env bash
# A real browser through the session tunnel: `agent demo --keep` runs a Docker session and
# keeps it up; Tests/viewer_browser_test.py opens its viewer URL in Debian's chromium (through
# Playwright), checks the rendered page and its WebSocket echo, and saves a screenshot; then
# Ctrl-C (SIGINT) must stop the session and end the demo cleanly.
# Needs: a built agent (.build/debug/agent), DOCKER_HOST with streamspace-test/httpd:2
# (Scripts/docker-sandbox.sh up), chromium (apt-get install chromium), playwright (pip).
set -euo pipefail
cd "$(dirname "$0")/.."
image="${STREAMSPACE_TEST_IMAGE:-streamspace-test/httpd:2}"
screenshot="${VIEWER_SCREENSHOT:-.build/artifacts/viewer-browser.png}"
out="$(mktemp)"

.build/debug/agent demo --driver docker --image "$image" --port 8080 --keep >"$out" 2>&1 &
demo=$!
trap 'kill -INT $demo 2>/dev/null || true; rm -f "$out"' EXIT

for _ in $(seq 1 600); do
  grep -q "press Ctrl-C" "$out" && break
  kill -0 $demo 2>/dev/null || { cat "$out"; echo "browser-test: the demo ended early" >&2; exit 1; }
  sleep 0.2
done
grep -q "press Ctrl-C" "$out" || { cat "$out"; echo "browser-test: the demo did not keep a session up" >&2; exit 1; }
url="$(grep -o 'open in a browser: http[^ ]*' "$out" | tail -n 1 | sed 's/open in a browser: //')"
echo "browser-test: $url"

python3 Tests/viewer_browser_test.py "$url" "$screenshot"

kill -INT $demo
status=0
wait $demo || status=$?
trap 'rm -f "$out"' EXIT
cat "$out"
[ "$status" -eq 0 ] || { echo "browser-test: the demo exited $status after Ctrl-C" >&2; exit 1; }
grep -q "stop_session … → completed" "$out" || { echo "browser-test: the session was not stopped after Ctrl-C" >&2; exit 1; }
echo "browser-test: ok (screenshot $screenshot)"
