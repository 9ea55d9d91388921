#!/usr/bin/env bash
# A Kubernetes API for the Kubernetes driver's tests and demo: the test API server of
# Tests/KubeAPIServer (no real kube-apiserver can be installed here), with RBAC applied from
# deploy/kubernetes.
#
#   Scripts/kube-sandbox.sh up     make a CA, server and admin client certificates and two tokens,
#                                  start the server on a free port (pods run in Docker when
#                                  DOCKER_HOST is a unix socket, else simulated), apply
#                                  deploy/kubernetes (namespace, service account, Role, bindings) as
#                                  admin, and print `export` lines:
#                                    STREAMSPACE_KUBECONFIG              the agent's token kubeconfig
#                                    STREAMSPACE_KUBE_ADMIN_KUBECONFIG   admin (system:masters), client cert
#                                    STREAMSPACE_KUBE_URL                https://127.0.0.1:PORT
#                                    STREAMSPACE_KUBE_AUDIT_LOG          one JSON line per request (user,
#                                                                        verb, resource, namespace, code)
#                                  Messages go to stderr. A second `up` reuses the running server.
#                                  STREAMSPACE_KUBE_METRICS=1 serves metrics.k8s.io too (as when
#                                  metrics-server is installed).
#   Scripts/kube-sandbox.sh down   stop the server and delete its directory (keys and tokens).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"

SANDBOX_DIR="${STREAMSPACE_KUBE_DIR:-/tmp/streamspace-kube}"
SERVER="$ROOT/Tests/KubeAPIServer/kube_apiserver.py"
AGENT_USER="system:serviceaccount:streamspace:streamspace-agent"

say() { printf 'kube-sandbox: %s\n' "$*" >&2; }

running() {
  [ -f "$SANDBOX_DIR/server.pid" ] && kill -0 "$(cat "$SANDBOX_DIR/server.pid")" 2>/dev/null &&
    [ -s "$SANDBOX_DIR/port" ] &&
    curl -sf --max-time 3 --cacert "$SANDBOX_DIR/certs/ca.crt" "https://127.0.0.1:$(cat "$SANDBOX_DIR/port")/healthz" \
      -H "Authorization: Bearer $(cut -d, -f1 <"$SANDBOX_DIR/admin.token")" >/dev/null 2>&1
}

kubeconfig() { # $1 file, $2 user name, then the user's fields as YAML lines
  local file="$1" user="$2"; shift 2
  {
    echo "apiVersion: v1"
    echo "kind: Config"
    echo "clusters:"
    echo "- name: streamspace-sandbox"
    echo "  cluster:"
    echo "    server: https://127.0.0.1:$(cat "$SANDBOX_DIR/port")"
    echo "    certificate-authority: $SANDBOX_DIR/certs/ca.crt"
    echo "users:"
    echo "- name: $user"
    echo "  user:"
    for line in "$@"; do echo "    $line"; done
    echo "contexts:"
    echo "- name: $user@streamspace-sandbox"
    echo "  context:"
    echo "    cluster: streamspace-sandbox"
    echo "    user: $user"
    echo "    namespace: streamspace"
    echo "current-context: $user@streamspace-sandbox"
  } >"$file"
  chmod 600 "$file"
}

start() {
  mkdir -p "$SANDBOX_DIR"
  chmod 700 "$SANDBOX_DIR"
  Tests/KubeAPIServer/make-certs.sh "$SANDBOX_DIR/certs" "admin:system:masters"
  umask 077
  admin_token="$(openssl rand -hex 32)"
  agent_token="$(openssl rand -hex 32)"
  printf '%s,admin,admin-uid,"system:masters"\n' "$admin_token" >"$SANDBOX_DIR/admin.token"
  {
    cat "$SANDBOX_DIR/admin.token"
    printf '%s,%s,agent-uid\n' "$agent_token" "$AGENT_USER"
  } >"$SANDBOX_DIR/tokens.csv"
  rm -f "$SANDBOX_DIR/port"
  extra=()
  [ "${STREAMSPACE_KUBE_METRICS:-0}" = 1 ] && extra+=(--metrics)
  # setsid: the server outlives this script; `down` stops it.
  setsid python3 "$SERVER" --cert "$SANDBOX_DIR/certs/server.crt" --key "$SANDBOX_DIR/certs/server.key" \
    --client-ca "$SANDBOX_DIR/certs/ca.crt" --tokens "$SANDBOX_DIR/tokens.csv" --port-file "$SANDBOX_DIR/port" \
    --audit-log "$SANDBOX_DIR/audit.log" "${extra[@]}" >"$SANDBOX_DIR/server.log" 2>&1 </dev/null &
  echo $! >"$SANDBOX_DIR/server.pid"
  for _ in $(seq 1 100); do
    [ -s "$SANDBOX_DIR/port" ] && running && break
    kill -0 "$(cat "$SANDBOX_DIR/server.pid")" 2>/dev/null || break
    sleep 0.1
  done
  if ! running; then
    say "the test API server did not answer within 10 s; its log:"
    tail -n 20 "$SANDBOX_DIR/server.log" >&2
    exit 1
  fi
  kubeconfig "$SANDBOX_DIR/admin.kubeconfig" admin \
    "client-certificate: $SANDBOX_DIR/certs/client-admin.crt" "client-key: $SANDBOX_DIR/certs/client-admin.key"
  kubeconfig "$SANDBOX_DIR/agent.kubeconfig" streamspace-agent "token: $agent_token"
  say "applying deploy/kubernetes as admin"
  for f in namespace serviceaccount role rolebinding node-reader; do
    kubectl --kubeconfig "$SANDBOX_DIR/admin.kubeconfig" apply -f "deploy/kubernetes/$f.yaml" >&2
  done
}

case "${1:-}" in
  up)
    if running; then
      say "reusing the test API server on port $(cat "$SANDBOX_DIR/port")"
    else
      [ -f "$SANDBOX_DIR/server.pid" ] && "$0" down
      start
    fi
    echo "export STREAMSPACE_KUBECONFIG=$SANDBOX_DIR/agent.kubeconfig"
    echo "export STREAMSPACE_KUBE_ADMIN_KUBECONFIG=$SANDBOX_DIR/admin.kubeconfig"
    echo "export STREAMSPACE_KUBE_URL=https://127.0.0.1:$(cat "$SANDBOX_DIR/port")"
    echo "export STREAMSPACE_KUBE_AUDIT_LOG=$SANDBOX_DIR/audit.log"
    ;;
  down)
    if [ -f "$SANDBOX_DIR/server.pid" ]; then
      pid="$(cat "$SANDBOX_DIR/server.pid")"
      if kill -0 "$pid" 2>/dev/null; then
        say "stopping the test API server (pid $pid)"
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
