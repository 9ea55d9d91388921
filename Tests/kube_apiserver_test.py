"""Proofs that the test API server (Tests/KubeAPIServer) speaks Kubernetes: the real kubectl and
the official Python client drive it, and its answers match a real kube-apiserver's
(Tests/Fixtures/kubernetes-api/responses.json) field by field.

    pip install pytest kubernetes
    python3 -m pytest Tests/kube_apiserver_test.py -q

The server is started by Scripts/kube-sandbox.sh in a private directory (so a sandbox someone
else runs is left alone); pods are simulated unless DOCKER_HOST is set."""
import gzip
import http.client
import json
import os
import re
import signal
import ssl
import subprocess
import sys
import tempfile
import time
import uuid

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GOLDEN = json.load(gzip.open(os.path.join(ROOT, "Tests/Fixtures/kubernetes-api/responses.json.gz")))
kubernetes = pytest.importorskip("kubernetes")
from kubernetes import client as k8s, config as k8s_config, watch as k8s_watch  # noqa: E402


@pytest.fixture(scope="session")
def sandbox():
    directory = tempfile.mkdtemp(prefix="kube-sandbox-test-")
    env = dict(os.environ, STREAMSPACE_KUBE_DIR=directory, STREAMSPACE_KUBE_METRICS="1")
    out = subprocess.run([os.path.join(ROOT, "Scripts/kube-sandbox.sh"), "up"], env=env, check=True,
                         capture_output=True, text=True, timeout=120).stdout
    exports = dict(re.findall(r"^export (\w+)=(.*)$", out, re.M))
    # A user with a client certificate and no RBAC at all.
    subprocess.run([os.path.join(ROOT, "Tests/KubeAPIServer/make-certs.sh"), os.path.join(directory, "certs"),
                    "alice:developers"], check=True, timeout=60)
    exports["dir"] = directory
    yield exports
    subprocess.run([os.path.join(ROOT, "Scripts/kube-sandbox.sh"), "down"], env=env, timeout=60)


def kubectl(sandbox, *args, admin=True, check=True, timeout=30):
    env = dict(os.environ, KUBECONFIG=sandbox["STREAMSPACE_KUBE_ADMIN_KUBECONFIG" if admin else "STREAMSPACE_KUBECONFIG"])
    r = subprocess.run(["kubectl", *args], env=env, capture_output=True, text=True, timeout=timeout)
    if check and r.returncode != 0:
        raise AssertionError(f"kubectl {' '.join(args)} failed: {r.stderr}")
    return r


def manifest(tmp_path, name, replicas=1, extra_spec=""):
    path = tmp_path / f"{name}.yaml"
    path.write_text(f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  namespace: streamspace
  labels: {{app: {name}, tier: test}}
spec:
  replicas: {replicas}{extra_spec}
  selector: {{matchLabels: {{app: {name}}}}}
  template:
    metadata: {{labels: {{app: {name}}}}}
    spec:
      containers:
      - name: web
        image: streamspace-test/httpd:2
        ports: [{{containerPort: 8080}}]
""")
    return str(path)


def wait_for(predicate, timeout=15, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def pods_of(sandbox, app):
    r = kubectl(sandbox, "get", "pods", "-n", "streamspace", "-l", f"app={app}", "-o", "json")
    return json.loads(r.stdout)["items"]


def ready(pod):
    return any(c["type"] == "Ready" and c["status"] == "True" for c in pod.get("status", {}).get("conditions", []))


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


# ---- kubectl -------------------------------------------------------------------------------

def test_kubectl_create_get_with_selectors_and_owner_chain(sandbox, tmp_path):
    name = unique("web")
    out = kubectl(sandbox, "create", "-f", manifest(tmp_path, name)).stdout
    assert f"deployment.apps/{name} created" in out
    pods = wait_for(lambda: [p for p in pods_of(sandbox, name) if ready(p)], what="a Ready pod")
    assert len(pods) == 1
    pod = pods[0]
    for field in ("uid", "resourceVersion", "creationTimestamp", "namespace"):
        assert pod["metadata"][field], field
    assert pod["status"]["podIP"]
    rs_ref = pod["metadata"]["ownerReferences"][0]
    assert rs_ref["kind"] == "ReplicaSet" and rs_ref["controller"] is True
    rs = json.loads(kubectl(sandbox, "get", "rs", rs_ref["name"], "-n", "streamspace", "-o", "json").stdout)
    assert rs["metadata"]["uid"] == rs_ref["uid"]
    deploy = json.loads(kubectl(sandbox, "get", "deploy", name, "-n", "streamspace", "-o", "json").stdout)
    assert rs["metadata"]["ownerReferences"][0]["uid"] == deploy["metadata"]["uid"]
    assert deploy["metadata"]["generation"] == 1
    # Selectors: set-based and inequality, and a field selector on status.phase.
    assert [p["metadata"]["name"] for p in json.loads(kubectl(
        sandbox, "get", "pods", "-n", "streamspace", "-l", f"app in ({name}),tier!=nope", "-o", "json").stdout)["items"]] \
        == [pod["metadata"]["name"]]
    assert json.loads(kubectl(sandbox, "get", "pods", "-n", "streamspace", "-l", "app=none-such", "-o", "json")
                      .stdout)["items"] == []
    running = json.loads(kubectl(sandbox, "get", "pods", "-n", "streamspace", "--field-selector",
                                 f"status.phase=Running,metadata.name={pod['metadata']['name']}", "-o", "json").stdout)
    assert len(running["items"]) == 1
    again = kubectl(sandbox, "create", "-f", manifest(tmp_path, name), check=False)
    assert again.returncode != 0 and f'deployments.apps "{name}" already exists' in again.stderr
    kubectl(sandbox, "delete", "deploy", name, "-n", "streamspace")


def test_kubectl_validates_against_openapi(sandbox, tmp_path):
    bad = manifest(tmp_path, unique("typo"), extra_spec="\n  replicaz: 2")
    r = kubectl(sandbox, "create", "-f", bad, check=False)
    assert r.returncode != 0 and 'unknown field "spec.replicaz"' in r.stderr, r.stderr
    wrong_type = manifest(tmp_path, unique("wrongtype"))
    text = open(wrong_type).read().replace("replicas: 1", 'replicas: "one"')
    open(wrong_type, "w").write(text)
    r = kubectl(sandbox, "create", "-f", wrong_type, check=False)
    assert r.returncode != 0 and "replicas" in r.stderr, r.stderr


def test_kubectl_get_watch_scale_logs_delete(sandbox, tmp_path):
    name = unique("scaled")
    kubectl(sandbox, "create", "-f", manifest(tmp_path, name))
    first = wait_for(lambda: [p for p in pods_of(sandbox, name) if ready(p)], what="a Ready pod")[0]
    env = dict(os.environ, KUBECONFIG=sandbox["STREAMSPACE_KUBE_ADMIN_KUBECONFIG"])
    watcher = subprocess.Popen(["kubectl", "get", "pods", "-n", "streamspace", "-l", f"app={name}", "-w",
                                "--output-watch-events", "-o", "json"], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        kubectl(sandbox, "scale", "deploy", name, "-n", "streamspace", "--replicas=2")
        wait_for(lambda: len([p for p in pods_of(sandbox, name) if ready(p)]) == 2, what="two Ready pods")
        kubectl(sandbox, "scale", "deploy", name, "-n", "streamspace", "--replicas=0")
        wait_for(lambda: pods_of(sandbox, name) == [], what="no pods after scale 0")
        time.sleep(0.5)
    finally:
        os.killpg(watcher.pid, signal.SIGTERM)
    out, _ = watcher.communicate(timeout=10)
    events = [json.loads(line) for line in out.splitlines() if line.startswith("{")]  # one event a line
    kinds = [e["type"] for e in events]
    assert kinds[0] == "ADDED" and "MODIFIED" in kinds and kinds.count("DELETED") == 2, kinds
    assert {e["object"]["metadata"]["name"] for e in events} >= {first["metadata"]["name"]}

    kubectl(sandbox, "scale", "deploy", name, "-n", "streamspace", "--replicas=1")
    pod = wait_for(lambda: [p for p in pods_of(sandbox, name) if ready(p)], what="a pod after scale 1")[0]
    assert pod["metadata"]["name"] != first["metadata"]["name"]
    logs = kubectl(sandbox, "logs", "-n", "streamspace", pod["metadata"]["name"], "--tail=1").stdout
    assert logs.strip() and len(logs.strip().splitlines()) == 1
    kubectl(sandbox, "delete", "deploy", name, "-n", "streamspace")
    # Garbage collection: the ReplicaSet and the pod go with their owner.
    wait_for(lambda: pods_of(sandbox, name) == [], what="pods collected")
    rs = json.loads(kubectl(sandbox, "get", "rs", "-n", "streamspace", "-o", "json").stdout)["items"]
    assert not [r for r in rs if r["metadata"]["name"].startswith(name + "-")]


# ---- the Python client --------------------------------------------------------------------

def api_client(sandbox, admin=True):
    return k8s_config.new_client_from_config(
        config_file=sandbox["STREAMSPACE_KUBE_ADMIN_KUBECONFIG" if admin else "STREAMSPACE_KUBECONFIG"])


def deployment(name, cpu=None):
    resources = k8s.V1ResourceRequirements(requests={"cpu": cpu}, limits={"cpu": cpu}) if cpu else None
    return k8s.V1Deployment(
        metadata=k8s.V1ObjectMeta(name=name, labels={"streamspace.io/session": name}),
        spec=k8s.V1DeploymentSpec(
            replicas=1, selector=k8s.V1LabelSelector(match_labels={"streamspace.io/session": name}),
            template=k8s.V1PodTemplateSpec(
                metadata=k8s.V1ObjectMeta(labels={"streamspace.io/session": name}),
                spec=k8s.V1PodSpec(containers=[k8s.V1Container(
                    name="session", image="streamspace-test/httpd:2", resources=resources,
                    ports=[k8s.V1ContainerPort(container_port=8080)])]))))


def test_python_client_create_list_watch_log_delete(sandbox):
    with api_client(sandbox) as c:
        apps, core = k8s.AppsV1Api(c), k8s.CoreV1Api(c)
        name = unique("py")
        selector = f"streamspace.io/session={name}"
        listing = core.list_namespaced_pod("streamspace", label_selector=selector)
        assert listing.items == []
        created = apps.create_namespaced_deployment("streamspace", deployment(name))
        assert created.metadata.uid and created.metadata.generation == 1
        seen = []
        w = k8s_watch.Watch()
        for event in w.stream(core.list_namespaced_pod, "streamspace", label_selector=selector,
                              resource_version=listing.metadata.resource_version, timeout_seconds=10):
            seen.append(event["type"])
            pod = event["object"]
            if pod.status and any(c.type == "Ready" and c.status == "True" for c in pod.status.conditions or []):
                w.stop()
        assert seen[0] == "ADDED" and "MODIFIED" in seen
        assert isinstance(pod, k8s.V1Pod) and pod.status.pod_ip
        pods = core.list_namespaced_pod("streamspace", label_selector=selector).items
        assert [p.metadata.name for p in pods] == [pod.metadata.name]
        log = core.read_namespaced_pod_log(pod.metadata.name, "streamspace", tail_lines=1)
        assert log.strip()
        time.sleep(2.1)  # the pod has written nothing since it started
        assert core.read_namespaced_pod_log(pod.metadata.name, "streamspace", since_seconds=1) == ""
        deleted = apps.delete_namespaced_deployment(name, "streamspace",
                                                    body=k8s.V1DeleteOptions(propagation_policy="Foreground"))
        # The client types this answer as V1Status; a foreground delete returns the Deployment
        # (as the real server does, see responses.json), which it hands back as a dict.
        assert deleted["kind"] == "Deployment" and deleted["metadata"]["deletionTimestamp"]
        wait_for(lambda: core.list_namespaced_pod("streamspace", label_selector=selector).items == [],
                 what="the pods deleted in the foreground")
        wait_for(lambda: not [d for d in apps.list_namespaced_deployment("streamspace").items
                              if d.metadata.name == name], what="the Deployment gone after its dependents")


def test_unschedulable_pod_says_why(sandbox):
    with api_client(sandbox) as c:
        apps, core = k8s.AppsV1Api(c), k8s.CoreV1Api(c)
        name = unique("huge")
        apps.create_namespaced_deployment("streamspace", deployment(name, cpu="64"))
        selector = f"streamspace.io/session={name}"

        def scheduled_condition():
            for p in core.list_namespaced_pod("streamspace", label_selector=selector).items:
                for cond in (p.status.conditions or []) if p.status else []:
                    if cond.type == "PodScheduled" and cond.status == "False":
                        return p, cond
        pod, cond = wait_for(scheduled_condition, what="PodScheduled False")
        assert pod.status.phase == "Pending"
        assert cond.reason == "Unschedulable"
        assert cond.message == "0/1 nodes are available: 1 Insufficient cpu."
        apps.delete_namespaced_deployment(name, "streamspace")


def test_rbac_allows_the_role_and_forbids_the_rest(sandbox):
    with api_client(sandbox, admin=False) as c:
        core, apps = k8s.CoreV1Api(c), k8s.AppsV1Api(c)
        core.list_namespaced_pod("streamspace")
        apps.list_namespaced_deployment("streamspace")
        with pytest.raises(k8s.exceptions.ApiException) as e:
            core.list_namespaced_secret("streamspace")
        assert e.value.status == 403
        body = json.loads(e.value.body)
        assert body["reason"] == "Forbidden" and body["code"] == 403
        assert body["message"] == ('secrets is forbidden: User "system:serviceaccount:streamspace:streamspace-agent" '
                                   'cannot list resource "secrets" in API group "" in the namespace "streamspace"')
        with pytest.raises(k8s.exceptions.ApiException) as e:
            core.list_namespaced_pod("default")
        assert e.value.status == 403 and 'in the namespace "default"' in json.loads(e.value.body)["message"]
        with pytest.raises(k8s.exceptions.ApiException) as e:
            core.delete_namespaced_pod("nope", "streamspace")  # the Role reads pods, never deletes them
        assert 'pods "nope" is forbidden' in json.loads(e.value.body)["message"]
    # The audit log says which calls the Role refused, and carries no credentials.
    text = open(sandbox["STREAMSPACE_KUBE_AUDIT_LOG"]).read()
    records = [json.loads(line) for line in text.splitlines()]
    agent = "system:serviceaccount:streamspace:streamspace-agent"
    refused = [(r["verb"], r["resource"], r["namespace"]) for r in records if r.get("user") == agent and r["code"] == 403]
    assert ("list", "secrets", "streamspace") in refused and ("delete", "pods", "streamspace") in refused
    assert ("list", "pods", "streamspace") not in refused
    token = re.search(r"token: (\S+)", open(sandbox["STREAMSPACE_KUBECONFIG"]).read()).group(1)
    assert token not in text


# ---- pods backed by Docker (when DOCKER_HOST is set: eval "$(Scripts/docker-sandbox.sh up)") ----

needs_docker = pytest.mark.skipif(not os.environ.get("DOCKER_HOST", "").startswith("unix://"),
                                  reason="pods are simulated without DOCKER_HOST")


def pod_manifest(tmp_path, name, image="streamspace-test/httpd:2", command=None, limits=None):
    spec = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "streamspace"},
            "spec": {"restartPolicy": "Always", "containers": [{"name": "c", "image": image}]}}
    if command:
        spec["spec"]["containers"][0]["command"] = command
    if limits:
        spec["spec"]["containers"][0]["resources"] = {"limits": limits}
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(spec))
    return str(path)


def container_state(sandbox, name):
    pod = json.loads(kubectl(sandbox, "get", "pod", name, "-n", "streamspace", "-o", "json").stdout)
    statuses = pod["status"].get("containerStatuses") or [{}]
    return pod, statuses[0]


@needs_docker
def test_docker_pod_has_a_real_ip_and_real_logs(sandbox, tmp_path):
    name = unique("real")
    kubectl(sandbox, "create", "-f", pod_manifest(tmp_path, name))
    pod = wait_for(lambda: (lambda p: p if ready(p) else None)(container_state(sandbox, name)[0]), what="Ready")
    assert pod["status"]["podIP"] != "127.0.0.1"
    page = wait_for(lambda: _http_get(f"http://{pod['status']['podIP']}:8080/"), what="the session's page")
    assert page.strip() == f"streamspace session {name}"
    logs = kubectl(sandbox, "logs", "-n", "streamspace", name).stdout
    assert "session starting (stdout)" in logs and "session starting (stderr)" in logs
    assert kubectl(sandbox, "logs", "-n", "streamspace", name, "--tail=1").stdout.count("\n") == 1
    kubectl(sandbox, "delete", "pod", name, "-n", "streamspace")


def _http_get(url):
    import urllib.request
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return r.read().decode()
    except OSError:
        return None


@needs_docker
def test_docker_logs_follow(sandbox, tmp_path):
    name = unique("ticker")
    kubectl(sandbox, "create", "-f", pod_manifest(tmp_path, name, command=[
        "sh", "-c", "i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.2; done"]))
    wait_for(lambda: ready(container_state(sandbox, name)[0]), what="Ready")
    env = dict(os.environ, KUBECONFIG=sandbox["STREAMSPACE_KUBE_ADMIN_KUBECONFIG"])
    follower = subprocess.Popen(["kubectl", "logs", "-f", "-n", "streamspace", name], env=env,
                                stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        lines = [follower.stdout.readline() for _ in range(6)]
    finally:
        os.killpg(follower.pid, signal.SIGTERM)
        follower.communicate(timeout=10)
    numbers = [int(line.split()[1]) for line in lines]
    assert numbers == list(range(numbers[0], numbers[0] + 6))  # lines arrive as written, none lost
    kubectl(sandbox, "delete", "pod", name, "-n", "streamspace")


@needs_docker
def test_docker_readiness_probe_gates_ready(sandbox, tmp_path):
    """A tcpSocket readiness probe: Ready only once the port answers (a running container
    is not enough), as the kubelet's prober decides."""
    name = unique("probe")
    spec = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "streamspace"},
            "spec": {"containers": [{"name": "c", "image": "streamspace-test/httpd:2",
                                     "command": ["sh", "-c", "sleep 3; exec httpd -f -p 8080 -h /config"],
                                     "ports": [{"name": "http", "containerPort": 8080}],
                                     "readinessProbe": {"tcpSocket": {"port": "http"}, "periodSeconds": 1}}]}}
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(spec))
    kubectl(sandbox, "create", "-f", str(path))
    status = wait_for(lambda: (lambda s: s if "running" in s.get("state", {}) else None)(container_state(sandbox, name)[1]),
                         what="running")
    assert not status["ready"]  # httpd listens only after 3 s
    wait_for(lambda: ready(container_state(sandbox, name)[0]), what="Ready once the port answers")
    kubectl(sandbox, "delete", "pod", name, "-n", "streamspace")


@needs_docker
@pytest.mark.parametrize("case", ["pull", "crash", "oom"])
def test_docker_failures_carry_the_kubelet_reasons(sandbox, tmp_path, case):
    name = unique(case)
    if case == "pull":
        path = pod_manifest(tmp_path, name, image="registry.invalid/streamspace/nothing:1")
    elif case == "crash":
        path = pod_manifest(tmp_path, name, command=["sh", "-c", "echo dying; exit 3"])
    else:
        path = pod_manifest(tmp_path, name, command=["sh", "-c", "head -c 300m /dev/zero | tail"],
                            limits={"memory": "16Mi"})
    kubectl(sandbox, "create", "-f", path)

    def reason():
        _, status = container_state(sandbox, name)
        return (status.get("state", {}).get("waiting") or {}).get("reason"), status
    if case == "pull":
        seen = set()
        wait_for(lambda: seen.add(reason()[0]) or {"ErrImagePull", "ImagePullBackOff"} <= seen, timeout=20,
                 what="ErrImagePull then ImagePullBackOff")
    else:
        # As the kubelet does: the first exit is shown terminated and restarted at once; the
        # second waits in CrashLoopBackOff, 10 s first, with the kubelet's message.
        expected = ("Error", 3) if case == "crash" else ("OOMKilled", 137)
        exits = []

        def looping():
            r, status = reason()
            terminated = status.get("state", {}).get("terminated")
            if terminated and status.get("restartCount") == 0:
                exits.append((terminated["reason"], terminated["exitCode"]))
            return (r, status) if r == "CrashLoopBackOff" else None
        _, status = wait_for(looping, what="CrashLoopBackOff")
        last = status["lastState"]["terminated"]
        assert (last["reason"], last["exitCode"]) == expected
        assert not status["ready"] and status["restartCount"] == 1
        pod = container_state(sandbox, name)[0]
        uid = pod["metadata"]["uid"]
        assert status["state"]["waiting"]["message"] == \
            f"back-off 10s restarting failed container=c pod={name}_streamspace({uid})"
        assert set(exits) <= {expected}
    kubectl(sandbox, "delete", "pod", name, "-n", "streamspace")


# ---- raw HTTP: client certificates and the golden answers --------------------------------------

class Raw:
    def __init__(self, sandbox, token=None, cert=None):
        self.url = sandbox["STREAMSPACE_KUBE_URL"]
        certs = os.path.join(sandbox["dir"], "certs")
        self.ctx = ssl.create_default_context(cafile=os.path.join(certs, "ca.crt"))
        if cert:
            self.ctx.load_cert_chain(os.path.join(certs, f"client-{cert}.crt"), os.path.join(certs, f"client-{cert}.key"))
        self.token = token

    def __call__(self, method, path, body=None, content_type="application/json"):
        host, port = self.url[len("https://"):].split(":")
        conn = http.client.HTTPSConnection(host, int(port), context=self.ctx, timeout=20)
        headers = {"Accept": "application/json"}
        if self.token:
            headers["Authorization"] = "Bearer " + self.token
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = content_type
        conn.request(method, path, body=data, headers=headers)
        r = conn.getresponse()
        raw = r.read()
        conn.close()
        return r.status, r.getheader("Content-Type"), raw


def admin_token(sandbox):
    return open(os.path.join(sandbox["dir"], "admin.token")).read().split(",")[0]


def status_fields(body):
    return {k: body.get(k) for k in ("kind", "apiVersion", "status", "message", "reason", "details", "code")}


def test_client_certificates_authenticate_and_bad_tokens_do_not(sandbox):
    status, _, body = Raw(sandbox, cert="admin")("GET", "/api/v1/nodes")
    assert status == 200 and json.loads(body)["kind"] == "NodeList"
    status, _, body = Raw(sandbox, cert="alice")("GET", "/api/v1/namespaces/streamspace/pods")
    assert status == 403
    assert json.loads(body)["message"] == ('pods is forbidden: User "alice" cannot list resource "pods" in API group "" '
                                           'in the namespace "streamspace"')
    golden = GOLDEN["unauthorized-401"]
    for raw in (Raw(sandbox, token="not-a-token"), Raw(sandbox)):
        status, _, body = raw("GET", golden["request"]["path"])
        assert status == golden["status"] and json.loads(body) == golden["body"]


def test_answers_match_a_real_apiserver(sandbox):
    raw = Raw(sandbox, token=admin_token(sandbox))
    compared = 0
    order = ["create-deployment-201", "create-deployment-conflict-409", "create-service-201",
             "create-service-invalid-422", "list-pods-by-label-200", "get-deployment-200", "get-deployment-missing-404",
             "scale-merge-patch-200", "patch-wrong-content-type-415", "watch-too-old-410",
             "namespace-mismatch-400", "missing-namespace-404", "delete-service-200", "delete-deployment-200"]
    for key in order:
        case = GOLDEN[key]
        req = case["request"]
        status, content_type, body = raw(req["method"], req["path"], req.get("body"), req.get("contentType") or "application/json")
        assert status == case["status"], (key, body[:300])
        assert content_type.startswith("application/json"), key
        got = json.loads(body.decode().splitlines()[0]) if key.startswith("watch") else json.loads(body)
        want = case["body"]
        if key.startswith("watch"):
            assert got["type"] == want["type"] == "ERROR"
            got, want = got["object"], want["object"]
            assert re.fullmatch(r"too old resource version: 1 \(\d+\)", got["message"]), got["message"]
            got["message"] = want["message"]
        if want.get("kind") == "Status":
            assert status_fields(got) == status_fields(want), key
        else:
            assert got["kind"] == want["kind"] and got["apiVersion"] == want["apiVersion"], key
            for field in ("name", "namespace", "labels", "generation"):
                assert got["metadata"].get(field) == want["metadata"].get(field), (key, field)
            if key == "delete-deployment-200":
                assert got["metadata"]["deletionTimestamp"] and got["metadata"]["finalizers"] == ["foregroundDeletion"]
            if want["kind"] == "Service":
                assert got["spec"]["ports"] == want["spec"]["ports"]
                assert got["spec"]["type"] == "ClusterIP" and got["spec"]["clusterIP"]
            if want["kind"] == "Scale":
                assert got["spec"] == want["spec"] and got["status"]["selector"] == want["status"]["selector"]
        compared += 1
    # The golden 403 was for nodes, which the sandbox grants the agent; the same wording elsewhere:
    agent = Raw(sandbox, token=re.search(r"token: (\S+)", open(sandbox["STREAMSPACE_KUBECONFIG"]).read()).group(1))
    status, _, body = agent("GET", "/api/v1/persistentvolumes")
    want = GOLDEN["forbidden-nodes-403"]["body"]
    assert status == 403 and status_fields(json.loads(body)) == json.loads(json.dumps(status_fields(want)).replace(
        "nodes", "persistentvolumes"))
    assert compared == len(order)


def test_watch_stream_with_bookmarks_like_the_golden_one(sandbox):
    raw = Raw(sandbox, token=admin_token(sandbox))
    name = unique("watched")
    status, _, body = raw("GET", f"/api/v1/namespaces/streamspace/pods?labelSelector=app%3D{name}")
    rv = json.loads(body)["metadata"]["resourceVersion"]
    golden = GOLDEN["watch-pods-with-bookmarks"]["events"]
    create = dict(GOLDEN["create-deployment-for-watch-201"]["request"]["body"])
    # The golden busybox:1 is not in a registry here; the local test image is (with Docker).
    create = json.loads(json.dumps(create).replace('"watched"', f'"{name}"').replace('"busybox:1"', '"streamspace-test/httpd:2"'))
    assert raw("POST", "/apis/apps/v1/namespaces/streamspace/deployments", create)[0] == 201
    wait_for(lambda: any(ready(p) for p in json.loads(raw("GET", f"/api/v1/namespaces/streamspace/pods?labelSelector=app%3D{name}")[2])["items"]),
             what="a Ready pod")
    assert raw("PATCH", f"/apis/apps/v1/namespaces/streamspace/deployments/{name}/scale", {"spec": {"replicas": 0}},
               "application/merge-patch+json")[0] == 200
    wait_for(lambda: not json.loads(raw("GET", f"/api/v1/namespaces/streamspace/pods?labelSelector=app%3D{name}")[2])["items"],
             what="the pod gone")
    status, content_type, body = raw("GET", f"/api/v1/namespaces/streamspace/pods?labelSelector=app%3D{name}&watch=1"
                                            f"&allowWatchBookmarks=true&resourceVersion={rv}&timeoutSeconds=2")
    events = [json.loads(line) for line in body.decode().splitlines()]
    assert status == 200
    types = [e["type"] for e in events]
    assert types[0] == "ADDED" and types[-1] == "BOOKMARK" and "DELETED" in types, types
    assert [t for t in types if t != "MODIFIED"] [:2] == [e["type"] for e in golden if e["type"] != "MODIFIED"][:2]
    bookmark = events[-1]["object"]
    assert set(bookmark) == set(golden[-1]["object"]) and bookmark["metadata"]["creationTimestamp"] is None
    revisions = [int(e["object"]["metadata"]["resourceVersion"]) for e in events]
    assert revisions == sorted(revisions) and revisions[0] > int(rv)
    raw("DELETE", f"/apis/apps/v1/namespaces/streamspace/deployments/{name}")


# ---- more of the protocol: tables, errors, keep-alive, owners ---------------------------------

def test_kubectl_get_prints_server_side_columns(sandbox, tmp_path):
    name = unique("cols")
    kubectl(sandbox, "create", "-f", manifest(tmp_path, name))
    wait_for(lambda: [p for p in pods_of(sandbox, name) if ready(p)], what="a Ready pod")
    out = kubectl(sandbox, "get", "pods", "-n", "streamspace", "-l", f"app={name}").stdout.splitlines()
    assert out[0].split() == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert out[1].split()[1:3] == ["1/1", "Running"]
    out = kubectl(sandbox, "get", "deploy", name, "-n", "streamspace").stdout.splitlines()
    assert out[0].split() == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"] and out[1].split()[1] == "1/1"
    kubectl(sandbox, "delete", "deploy", name, "-n", "streamspace")


def test_bad_container_port_is_422_naming_the_field(sandbox, tmp_path):
    path = manifest(tmp_path, unique("badport"))
    text = open(path).read().replace("containerPort: 8080", "containerPort: 70000")
    open(path, "w").write(text)
    r = kubectl(sandbox, "create", "-f", path, check=False)
    assert r.returncode != 0
    assert "spec.template.spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and " \
           "65535, inclusive" in r.stderr, r.stderr


def test_log_options_selector_errors_and_conflicts(sandbox):
    raw = Raw(sandbox, token=admin_token(sandbox))
    name = unique("opts")
    body = json.loads(json.dumps(GOLDEN["create-deployment-for-watch-201"]["request"]["body"])
                      .replace('"watched"', f'"{name}"').replace('"busybox:1"', '"streamspace-test/httpd:2"'))
    status, _, created = raw("POST", "/apis/apps/v1/namespaces/streamspace/deployments", body)
    assert status == 201
    selector = f"/api/v1/namespaces/streamspace/pods?labelSelector=app%3D{name}"
    pod = wait_for(lambda: [p for p in json.loads(raw("GET", selector)[2])["items"] if ready(p)], what="Ready")[0]
    logs = f"/api/v1/namespaces/streamspace/pods/{pod['metadata']['name']}/log"
    status, content_type, text = raw("GET", logs + "?tailLines=1&timestamps=true")
    assert status == 200 and content_type.startswith("text/plain")
    assert re.match(rb"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z ", text) and text.count(b"\n") == 1
    assert raw("GET", logs + "?sinceTime=2999-01-01T00:00:00Z")[2] == b""
    status, _, err = raw("GET", logs + "?container=nope")
    assert status == 400 and "container nope is not valid" in json.loads(err)["message"]
    status, _, err = raw("GET", "/api/v1/namespaces/streamspace/pods?labelSelector=app%20in%20(a")
    assert status == 400 and json.loads(err)["reason"] == "BadRequest"
    status, _, err = raw("GET", "/api/v1/namespaces/streamspace/pods?fieldSelector=spec.image%3Dx")
    assert status == 400 and "field label not supported: spec.image" in json.loads(err)["message"]
    # A stale resourceVersion on update is a 409 Conflict.
    stale = json.loads(created)
    raw("PATCH", f"/apis/apps/v1/namespaces/streamspace/deployments/{name}", {"metadata": {"labels": {"x": "1"}}},
        "application/merge-patch+json")
    status, _, err = raw("PUT", f"/apis/apps/v1/namespaces/streamspace/deployments/{name}", stale)
    assert status == 409 and json.loads(err)["reason"] == "Conflict"
    # A wrong type is a 400 naming the field, not a silent coercion.
    status, _, err = raw("PATCH", f"/apis/apps/v1/namespaces/streamspace/deployments/{name}/scale",
                         {"spec": {"replicas": "two"}}, "application/merge-patch+json")
    assert status == 400 and "replicas" in json.loads(err)["message"]
    raw("DELETE", f"/apis/apps/v1/namespaces/streamspace/deployments/{name}")


def test_delete_bodies_are_read_and_the_connection_kept(sandbox):
    host, port = sandbox["STREAMSPACE_KUBE_URL"][len("https://"):].split(":")
    ctx = ssl.create_default_context(cafile=os.path.join(sandbox["dir"], "certs", "ca.crt"))
    conn = http.client.HTTPSConnection(host, int(port), context=ctx, timeout=10)
    headers = {"Authorization": "Bearer " + admin_token(sandbox), "Content-Type": "application/json"}
    name = unique("ka")
    svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
           "spec": {"ports": [{"port": 80}], "selector": {"app": name}}}
    conn.request("POST", "/api/v1/namespaces/streamspace/services", json.dumps(svc), headers)
    assert conn.getresponse().read() and True
    conn.request("DELETE", f"/api/v1/namespaces/streamspace/services/{name}",
                 json.dumps({"kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": "Background"}), headers)
    r = conn.getresponse()
    assert r.status == 200 and json.loads(r.read())["kind"] == "Service"
    conn.request("GET", f"/api/v1/namespaces/streamspace/services/{name}", headers=headers)  # same connection
    r = conn.getresponse()
    assert r.status == 404 and json.loads(r.read())["message"] == f'services "{name}" not found'
    conn.request("DELETE", "/api/v1/namespaces/streamspace/services/x", json.dumps({"propagationPolicy": "Sideways"}),
                 headers)
    r = conn.getresponse()
    assert r.status == 422 and "propagationPolicy" in json.loads(r.read())["message"]
    conn.close()


def test_garbage_collection_follows_any_owner_reference_and_orphan_keeps(sandbox, tmp_path):
    raw = Raw(sandbox, token=admin_token(sandbox))
    name = unique("owner")
    kubectl(sandbox, "create", "-f", manifest(tmp_path, name))
    deploy = json.loads(kubectl(sandbox, "get", "deploy", name, "-n", "streamspace", "-o", "json").stdout)
    ref = {"apiVersion": "apps/v1", "kind": "Deployment", "name": name, "uid": deploy["metadata"]["uid"]}
    svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "ownerReferences": [ref]},
           "spec": {"ports": [{"port": 8080}], "selector": {"app": name}}}
    assert raw("POST", "/api/v1/namespaces/streamspace/services", svc)[0] == 201
    wait_for(lambda: pods_of(sandbox, name), what="a pod")
    kubectl(sandbox, "delete", "deploy", name, "-n", "streamspace")
    wait_for(lambda: raw("GET", f"/api/v1/namespaces/streamspace/services/{name}")[0] == 404, what="the Service collected")
    wait_for(lambda: pods_of(sandbox, name) == [], what="the pods collected")

    kept = unique("orphans")
    kubectl(sandbox, "create", "-f", manifest(tmp_path, kept))
    wait_for(lambda: pods_of(sandbox, kept), what="a pod")
    kubectl(sandbox, "delete", "deploy", kept, "-n", "streamspace", "--cascade=orphan")
    time.sleep(1.0)
    rs = [r for r in json.loads(kubectl(sandbox, "get", "rs", "-n", "streamspace", "-o", "json").stdout)["items"]
          if r["metadata"]["name"].startswith(kept + "-")]
    assert len(rs) == 1 and "ownerReferences" not in rs[0]["metadata"] and pods_of(sandbox, kept)
    kubectl(sandbox, "delete", "rs", rs[0]["metadata"]["name"], "-n", "streamspace")
    wait_for(lambda: pods_of(sandbox, kept) == [], what="the orphans' pods collected with their ReplicaSet")


def test_metrics_api_when_served_and_absent_when_not(sandbox, tmp_path):
    name = unique("metered")
    kubectl(sandbox, "create", "-f", manifest(tmp_path, name))
    pod = wait_for(lambda: [p for p in pods_of(sandbox, name) if ready(p)], what="a Ready pod")[0]
    with api_client(sandbox, admin=False) as c:  # the Role grants metrics.k8s.io pods
        custom = k8s.CustomObjectsApi(c)
        pm = custom.get_namespaced_custom_object("metrics.k8s.io", "v1beta1", "streamspace", "pods",
                                                 pod["metadata"]["name"])
        assert pm["kind"] == "PodMetrics" and [x["name"] for x in pm["containers"]] == ["web"]
        assert re.fullmatch(r"\d+n", pm["containers"][0]["usage"]["cpu"])
        assert re.fullmatch(r"\d+Ki", pm["containers"][0]["usage"]["memory"])
        nodes = custom.list_cluster_custom_object("metrics.k8s.io", "v1beta1", "nodes")
        assert [n["metadata"]["name"] for n in nodes["items"]] == ["streamspace-node"]
    top = kubectl(sandbox, "top", "pod", "-n", "streamspace", pod["metadata"]["name"]).stdout
    assert pod["metadata"]["name"] in top
    kubectl(sandbox, "delete", "deploy", name, "-n", "streamspace")
    # A server started without --metrics has no such group, as a cluster without metrics-server.
    d = sandbox["dir"]
    port_file = os.path.join(tmp_path, "port")
    server = subprocess.Popen([sys.executable, os.path.join(ROOT, "Tests/KubeAPIServer/kube_apiserver.py"),
                               "--cert", f"{d}/certs/server.crt", "--key", f"{d}/certs/server.key",
                               "--client-ca", f"{d}/certs/ca.crt", "--tokens", f"{d}/tokens.csv",
                               "--port-file", port_file, "--no-docker"], stderr=subprocess.DEVNULL)
    try:
        port = wait_for(lambda: os.path.exists(port_file) and open(port_file).read(), what="the second server")
        raw = Raw(dict(sandbox, STREAMSPACE_KUBE_URL=f"https://127.0.0.1:{port}"), token=admin_token(sandbox))
        assert raw("GET", "/apis/metrics.k8s.io/v1beta1/nodes")[0] == 404
        groups = [g["name"] for g in json.loads(raw("GET", "/apis")[2])["groups"]]
        assert "apps" in groups and "metrics.k8s.io" not in groups
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-q"]))


def exposed_manifest(tmp_path, name, node_port=None):
    """A Deployment, its NodePort and LoadBalancer Services and an Ingress, as an operator writes them."""
    pinned = f", nodePort: {node_port}" if node_port else ""
    path = tmp_path / f"{name}-exposed.yaml"
    path.write_text(open(manifest(tmp_path, name)).read() + f"""---
apiVersion: v1
kind: Service
metadata: {{name: {name}, namespace: streamspace}}
spec:
  type: NodePort
  selector: {{app: {name}}}
  ports: [{{name: http, port: 8080, targetPort: 8080{pinned}}}]
---
apiVersion: v1
kind: Service
metadata: {{name: {name}-lb, namespace: streamspace}}
spec:
  type: LoadBalancer
  selector: {{app: {name}}}
  ports: [{{name: http, port: 8080}}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {{name: {name}, namespace: streamspace, annotations: {{example.com/owner: tests}}}}
spec:
  ingressClassName: nginx
  tls: [{{hosts: [{name}.sessions.example.test], secretName: sessions-tls}}]
  rules:
  - host: {name}.sessions.example.test
    http:
      paths:
      - {{path: /, pathType: Prefix, backend: {{service: {{name: {name}, port: {{name: http}}}}}}}}
""")
    return str(path)


def test_kubectl_node_ports_load_balancers_and_ingresses(sandbox, tmp_path):
    name = unique("expose")
    kubectl(sandbox, "create", "-f", exposed_manifest(tmp_path, name))  # validated against the OpenAPI
    get = lambda kind, n: json.loads(kubectl(sandbox, "get", kind, n, "-n", "streamspace", "-o", "json").stdout)  # noqa: E731
    svc = get("service", name)
    node_port = svc["spec"]["ports"][0]["nodePort"]
    assert svc["spec"]["type"] == "NodePort" and 30000 <= node_port <= 32767
    assert svc["spec"]["externalTrafficPolicy"] == "Cluster" and svc["spec"]["clusterIP"].startswith("10.96.")
    # The load-balancer controller fills the address in after a moment, as a cloud's does.
    lb = wait_for(lambda: (lambda s: s if s["status"]["loadBalancer"].get("ingress") else None)(get("service", name + "-lb")),
                  what="a load-balancer address")
    address = lb["status"]["loadBalancer"]["ingress"][0]["ip"]
    assert address.startswith("127.") and lb["spec"]["ports"][0]["nodePort"] != node_port
    ingress = get("ingress", name)
    assert ingress["apiVersion"] == "networking.k8s.io/v1" and ingress["metadata"]["uid"]
    assert ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["port"] == {"name": "http"}
    assert ingress["status"] == {"loadBalancer": {}}
    # Updates keep the allocated node port when they leave it out (kube-apiserver's patchAllocatedValues).
    kubectl(sandbox, "patch", "service", name, "-n", "streamspace", "--type", "merge",
            "-p", '{"spec": {"ports": [{"name": "http", "port": 8080, "targetPort": 8080}]}}')
    assert get("service", name)["spec"]["ports"][0]["nodePort"] == node_port
    # A taken node port and one out of range are 422 Invalid naming the field, as the real server words it.
    taken = exposed_manifest(tmp_path, unique("taken"), node_port=node_port)
    r = kubectl(sandbox, "create", "-f", taken, check=False)
    assert f"spec.ports[0].nodePort: Invalid value: {node_port}: provided port is already allocated" in r.stderr
    out_of_range = exposed_manifest(tmp_path, unique("range"), node_port=80)
    r = kubectl(sandbox, "create", "-f", out_of_range, check=False)
    assert "spec.ports[0].nodePort: Invalid value: 80: provided port is not in the valid range. " \
           "The range of valid ports is 30000-32767" in r.stderr
    if os.environ.get("DOCKER_HOST", "").startswith("unix://"):
        # The userspace proxy relays the node port and the load balancer's address to the pod.
        wait_for(lambda: pods_of(sandbox, name) and ready(pods_of(sandbox, name)[0]), what="a Ready pod")
        for url in (f"http://127.0.0.1:{node_port}/", f"http://{address}:8080/"):
            page = wait_for(lambda: _http_get(url), what=url)
            assert page.startswith("streamspace session " + name)
    kubectl(sandbox, "delete", "-f", str(tmp_path / f"{name}-exposed.yaml"))
    # A deleted Service gives its node port back: it can be asked for by name again.
    # (`create -f` made the other objects of that file the first time: they go first.)
    kubectl(sandbox, "delete", "-f", taken, "--ignore-not-found")
    assert kubectl(sandbox, "create", "-f", taken, check=False).returncode == 0, "the node port was not released"
    for path in (taken, out_of_range):
        kubectl(sandbox, "delete", "-f", path, "--ignore-not-found", check=False)


def test_python_client_ingress_create_list_delete_and_collection(sandbox):
    with api_client(sandbox) as c:
        apps, net = k8s.AppsV1Api(c), k8s.NetworkingV1Api(c)
        name = unique("pying")
        owner = apps.create_namespaced_deployment("streamspace", deployment(name))
        body = k8s.V1Ingress(
            metadata=k8s.V1ObjectMeta(name=name, labels={"streamspace.io/session": name}, owner_references=[
                k8s.V1OwnerReference(api_version="apps/v1", kind="Deployment", name=name, uid=owner.metadata.uid,
                                     controller=True, block_owner_deletion=True)]),
            spec=k8s.V1IngressSpec(ingress_class_name="nginx", rules=[k8s.V1IngressRule(
                host=f"{name}.sessions.example.test", http=k8s.V1HTTPIngressRuleValue(paths=[k8s.V1HTTPIngressPath(
                    path="/", path_type="Prefix", backend=k8s.V1IngressBackend(service=k8s.V1IngressServiceBackend(
                        name=name, port=k8s.V1ServiceBackendPort(number=8080))))]))]))
        created = net.create_namespaced_ingress("streamspace", body)
        assert isinstance(created, k8s.V1Ingress) and created.metadata.uid and created.metadata.resource_version
        listed = net.list_namespaced_ingress("streamspace", label_selector=f"streamspace.io/session={name}").items
        assert [i.metadata.name for i in listed] == [name]
        assert listed[0].spec.rules[0].http.paths[0].backend.service.port.number == 8080
        with pytest.raises(k8s.ApiException) as conflict:
            net.create_namespaced_ingress("streamspace", body)
        assert conflict.value.status == 409
        net.delete_namespaced_ingress(name, "streamspace")
        assert net.list_namespaced_ingress("streamspace", label_selector=f"streamspace.io/session={name}").items == []
        # Made again, it goes with its owner Deployment (the garbage collector).
        net.create_namespaced_ingress("streamspace", body)
        apps.delete_namespaced_deployment(name, "streamspace")
        wait_for(lambda: net.list_namespaced_ingress("streamspace", label_selector=f"streamspace.io/session={name}").items == [],
                 what="the Ingress collected with its Deployment")
