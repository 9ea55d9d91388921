#!/usr/bin/env python3
"""Figures for the test API server against a running sandbox (Scripts/kube-sandbox.sh up):
create → pod Ready latency, N concurrent creates, and delete → DELETED watch delay.

    python3 Tests/KubeAPIServer/bench.py [--concurrent 100]
Uses STREAMSPACE_KUBE_URL and the admin token in $STREAMSPACE_KUBE_DIR (default /tmp/streamspace-kube)."""
import argparse
import http.client
import json
import os
import ssl
import statistics
import threading
import time
import uuid

DIR = os.environ.get("STREAMSPACE_KUBE_DIR", "/tmp/streamspace-kube")


class Client:
    def __init__(self):
        host, port = os.environ["STREAMSPACE_KUBE_URL"][len("https://"):].split(":")
        self.addr = (host, int(port))
        self.ctx = ssl.create_default_context(cafile=os.path.join(DIR, "certs", "ca.crt"))
        self.token = open(os.path.join(DIR, "admin.token")).read().split(",")[0]
        self.local = threading.local()

    def call(self, method, path, body=None, timeout=30):
        conn = getattr(self.local, "conn", None)
        if conn is None:
            conn = self.local.conn = http.client.HTTPSConnection(*self.addr, context=self.ctx, timeout=timeout)
        headers = {"Authorization": "Bearer " + self.token, "Content-Type": "application/json"}
        conn.request(method, path, json.dumps(body) if body is not None else None, headers)
        r = conn.getresponse()
        return r.status, json.loads(r.read() or b"null")

    def stream(self, path):
        conn = http.client.HTTPSConnection(*self.addr, context=self.ctx, timeout=60)
        conn.request("GET", path, headers={"Authorization": "Bearer " + self.token})
        return conn.getresponse()


def deployment(name):
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "labels": {"bench": "1"}},
            "spec": {"replicas": 1, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name, "bench": "1"}},
                                  "spec": {"containers": [{"name": "c", "image": "streamspace-test/httpd:2"}]}}}}


def ready_pod(c, name):
    _, pods = c.call("GET", f"/api/v1/namespaces/streamspace/pods?labelSelector=app%3D{name}")
    for p in pods["items"]:
        if any(x["type"] == "Ready" and x["status"] == "True" for x in p.get("status", {}).get("conditions", [])):
            return p
    return None


def start_one(c, name):
    t0 = time.monotonic()
    status, _ = c.call("POST", "/apis/apps/v1/namespaces/streamspace/deployments", deployment(name))
    assert status == 201, status
    while not ready_pod(c, name):
        time.sleep(0.02)
    return time.monotonic() - t0


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--concurrent", type=int, default=100)
    args = p.parse_args()
    c = Client()
    run = uuid.uuid4().hex[:5]
    serial = [start_one(c, f"b-{run}-s{i}") for i in range(5)]
    print(f"create → pod Ready, one at a time: median {statistics.median(serial) * 1000:.0f} ms "
          f"(min {min(serial) * 1000:.0f}, max {max(serial) * 1000:.0f})")
    results = [None] * args.concurrent
    threads = [threading.Thread(target=lambda i=i: results.__setitem__(i, start_one(c, f"b-{run}-c{i}")))
               for i in range(args.concurrent)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - t0
    print(f"{args.concurrent} concurrent creates → all Ready: {wall:.1f} s wall, per start median "
          f"{statistics.median(results):.2f} s, max {max(results):.2f} s")
    # delete → DELETED on a watch
    pod = ready_pod(c, f"b-{run}-s0")
    _, listing = c.call("GET", "/api/v1/namespaces/streamspace/pods?labelSelector=bench%3D1")
    r = c.stream(f"/api/v1/namespaces/streamspace/pods?watch=1&labelSelector=bench%3D1"
                 f"&resourceVersion={listing['metadata']['resourceVersion']}&timeoutSeconds=30")
    t0 = time.monotonic()
    Client().call("DELETE", f"/api/v1/namespaces/streamspace/pods/{pod['metadata']['name']}")
    buffered, done = b"", False
    while not done:
        buffered += r.read1(65536)
        *lines, buffered = buffered.split(b"\n")
        for line in lines:
            event = json.loads(line)
            if event["type"] == "DELETED" and event["object"]["metadata"]["name"] == pod["metadata"]["name"]:
                done = True
    print(f"pod delete → DELETED event on a watch: {(time.monotonic() - t0) * 1000:.1f} ms")
    t0 = time.monotonic()
    c.call("DELETE", "/apis/apps/v1/namespaces/streamspace/deployments?labelSelector=bench%3D1")
    while c.call("GET", "/api/v1/namespaces/streamspace/pods?labelSelector=bench%3D1")[1]["items"]:
        time.sleep(0.05)
    rss = ""
    if os.path.exists(os.path.join(DIR, "server.pid")):
        pid = open(os.path.join(DIR, "server.pid")).read().strip()
        rss = [l for l in open(f"/proc/{pid}/status") if l.startswith("VmRSS")][0].split(None, 1)[1].strip()
        print(f"server RSS with {args.concurrent + 5} deployments: {rss}")
    print(f"delete {args.concurrent + 5} deployments → all pods collected: {time.monotonic() - t0:.1f} s")


if __name__ == "__main__":
    main()
