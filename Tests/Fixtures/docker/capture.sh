#!/usr/bin/env bash
# Captures Docker Engine API answers for the Docker driver's golden fixtures (README.md here).
# Needs a dockerd (DOCKER_HOST=unix://…, e.g. from Scripts/docker-sandbox.sh up) and the test
# image (streamspace-test/httpd:2). It creates three containers named ss-fixture-*, labelled as
# the driver labels its sessions, and removes them again.
set -euo pipefail
cd "$(dirname "$0")"
socket="${DOCKER_HOST#unix://}"
image="${STREAMSPACE_TEST_IMAGE:-streamspace-test/httpd:2}"
version=v1.41   # the oldest API the driver speaks; every daemon since 20.10 answers it
api() { curl -sS --unix-socket "$socket" "$@"; }
url() { echo "http://docker/$version$1"; }
pretty() { python3 -m json.tool --indent 2; }

labels() {  # session id, ports label
  printf '{"streamspace.io/managed":"true","streamspace.io/session":"%s","streamspace.io/user":"alice","streamspace.io/template":"firefox","streamspace.io/ports":"%s"}' "$1" "$2"
}
create() {  # name, session, ports label, command (JSON array), port bindings (JSON)
  api -X POST -H 'Content-Type: application/json' "$(url "/containers/create?name=$1")" -d @- >/dev/null <<JSON
{"Image":"$image","Cmd":$4,"Labels":$(labels "$2" "$3"),"ExposedPorts":{"8080/tcp":{}},
 "HostConfig":{"Init":true,"NanoCpus":500000000,"Memory":67108864,"PortBindings":$5,"RestartPolicy":{"Name":"no"},
               "SecurityOpt":["no-new-privileges"]}}
JSON
}
cleanup() { for name in ss-fixture-running ss-fixture-exited ss-fixture-hibernated.Hibernated; do
  api -X DELETE "$(url "/containers/$name?force=1&v=1")" >/dev/null || true; done; }
trap cleanup EXIT
cleanup

since=$(date +%s)
bindings='{"8080/tcp":[{"HostIp":"127.0.0.1","HostPort":""}]}'
create ss-fixture-running fixture-running "vnc=8080/tcp" \
  '["sh","-c","echo to stdout; echo to stderr >&2; echo again stdout; exec httpd -f -p 8080"]' "$bindings"
create ss-fixture-exited fixture-exited "vnc=8080/tcp" '["sh","-c","echo bye; exit 3"]' '{}'
create ss-fixture-hibernated.Hibernated fixture-hibernated "vnc=8080/tcp,audio=4713/tcp" '["sleep","1000"]' '{}'
api -X POST "$(url /containers/ss-fixture-running/start)"
api -X POST "$(url /containers/ss-fixture-exited/start)"
api -X POST "$(url "/containers/ss-fixture-exited/wait")" >/dev/null
sleep 1

filter='{"label":["streamspace.io/managed=true","streamspace.io/session"]}'
api -G "$(url /containers/json)" --data-urlencode all=1 --data-urlencode "filters=$filter" | pretty > containers-list.json
for name in running exited hibernated.Hibernated; do
  api "$(url "/containers/ss-fixture-$name/json")" | pretty > "container-inspect-${name%.Hibernated}.json"
done
api "$(url "/containers/ss-fixture-running/stats?stream=false&one-shot=true")" | pretty > container-stats.json
# The raw multiplexed log stream (8-byte frame headers; the container has no TTY).
api "$(url "/containers/ss-fixture-running/logs?stdout=1&stderr=1&follow=0&tail=all")" > logs-multiplexed.bin

api -X POST "$(url "/containers/ss-fixture-running/kill")"
api -X DELETE "$(url "/containers/ss-fixture-exited?v=1")"
sleep 1
# One JSON object per line, as the driver's event stream reads them.
api -G "$(url /events)" --data-urlencode "since=$since" --data-urlencode "until=$(date +%s)" \
  --data-urlencode 'filters={"type":["container"],"label":["streamspace.io/managed=true"]}' > events.jsonl
echo "captured into $(pwd)"
