"""A tiny kube-controller-manager and scheduler: Deployment → ReplicaSet → Pods with
ownerReferences, garbage collection by owner uid (foreground too), namespace termination, a
one-node scheduler that refuses requests over the node's allocatable, pod status from the
runtime, and (proxy.py) load-balancer addresses and the Services' public ports."""
import copy
import json
import threading
import time

import admission
from statuses import APIError
import quantities
from store import now

_APPS = "apps"


class Controller:
    def __init__(self, store, registry, api, runtime, args, proxy=None):
        self.store, self.registry, self.api, self.runtime, self.proxy = store, registry, api, runtime, proxy
        self.node_name = args.node_name
        self.node_address = args.node_address
        r = registry.lookup
        self.deployments = r(_APPS, "v1", "deployments")
        self.replicasets = r(_APPS, "v1", "replicasets")
        self.pods = r("", "v1", "pods")
        self.nodes = r("", "v1", "nodes")
        self.namespaces = r("", "v1", "namespaces")
        self.wake = threading.Event()
        self.started_pods = set()

    def start(self):
        self.store.listeners.append(lambda kind, res, obj: self.wake.set())
        self.runtime.notify = self.wake.set
        threading.Thread(target=self._loop, name="controller", daemon=True).start()

    def _loop(self):
        while True:
            self.wake.wait(0.5)  # the tick lets Docker's container state reach pod status
            self.wake.clear()
            # Keep reconciling: a phase that fails must not stop the others (a ReplicaSet name
            # still taken by one being collected once kept every pod of the cluster unstarted).
            for phase in (self.runtime.sync, self._deployments, self._replicasets, self._collect_garbage,
                          self._schedule_and_run, self._proxy):
                try:
                    if phase is self.runtime.sync:
                        phase()
                    else:
                        with self.api.write_lock:
                            phase()
                except Exception:
                    import traceback
                    traceback.print_exc()

    # ---- deployments ----
    def _owned(self, res, owner, namespace):
        uid = owner["metadata"]["uid"]
        items, _ = self.store.list(res, namespace, lambda o: any(
            r.get("uid") == uid and r.get("controller") for r in o["metadata"].get("ownerReferences") or []))
        return items

    @staticmethod
    def _owner_ref(kind, obj):
        return {"apiVersion": "apps/v1", "kind": kind, "name": obj["metadata"]["name"],
                "uid": obj["metadata"]["uid"], "controller": True, "blockOwnerDeletion": True}

    def _deployments(self):
        items, _ = self.store.list(self.deployments)
        for d in items:
            if d["metadata"].get("deletionTimestamp"):
                continue
            try:
                self._deployment(d)
            except APIError as e:  # e.g. its ReplicaSet's name is still held by one being collected
                print(f"controller: deployment {d['metadata']['namespace']}/{d['metadata']['name']}: {e}", flush=True)

    def _deployment(self, d):
        ns = d["metadata"]["namespace"]
        template = d["spec"]["template"]
        h = admission.template_hash(json.dumps(template, sort_keys=True))
        owned = self._owned(self.replicasets, d, ns)
        current = next((rs for rs in owned if rs["metadata"].get("labels", {}).get("pod-template-hash") == h), None)
        if current is None:
            labels = dict(template.get("metadata", {}).get("labels") or {}, **{"pod-template-hash": h})
            selector = copy.deepcopy(d["spec"]["selector"])
            selector.setdefault("matchLabels", {})["pod-template-hash"] = h
            rs_template = copy.deepcopy(template)
            rs_template.setdefault("metadata", {})["labels"] = labels
            revision = str(1 + max([int(rs["metadata"].get("annotations", {}).get(
                "deployment.kubernetes.io/revision", "0")) for rs in owned] or [0]))
            rs = {"kind": "ReplicaSet", "apiVersion": "apps/v1",
                  "metadata": {"name": f"{d['metadata']['name']}-{h}", "namespace": ns, "labels": labels,
                               "annotations": {"deployment.kubernetes.io/desired-replicas": str(d["spec"]["replicas"]),
                                               "deployment.kubernetes.io/max-replicas": str(d["spec"]["replicas"] + 1),
                                               "deployment.kubernetes.io/revision": revision},
                               "ownerReferences": [self._owner_ref("Deployment", d)]},
                  "spec": {"replicas": d["spec"]["replicas"], "selector": selector, "template": rs_template}}
            admission.default(self.replicasets, rs, None)
            current = self.store.create(self.replicasets, rs)
            owned.append(current)
        for rs in owned:
            want = d["spec"]["replicas"] if rs is current else 0  # old templates go (Recreate-like)
            if rs["spec"]["replicas"] != want:
                rs = copy.deepcopy(rs)
                rs["spec"]["replicas"] = want
                rs["metadata"]["generation"] = rs["metadata"].get("generation", 1) + 1
                self.store.replace(self.replicasets, rs)
        self._deployment_status(d, current, owned)

    def _deployment_status(self, d, current, owned):
        total = sum((rs.get("status") or {}).get("replicas", 0) for rs in owned)
        ready = sum((rs.get("status") or {}).get("readyReplicas", 0) for rs in owned)
        updated = (current.get("status") or {}).get("replicas", 0)
        want = d["spec"]["replicas"]
        old = d.get("status") or {}
        available = ready >= want
        conditions = [
            _condition(old, "Available", "True" if available else "False",
                       "MinimumReplicasAvailable" if available else "MinimumReplicasUnavailable",
                       "Deployment has minimum availability." if available else "Deployment does not have minimum availability."),
            _condition(old, "Progressing", "True", "NewReplicaSetAvailable" if ready >= want else "ReplicaSetUpdated",
                       f'ReplicaSet "{current["metadata"]["name"]}" has '
                       + ("successfully progressed." if ready >= want else "is progressing.")),
        ]
        status = {"observedGeneration": d["metadata"].get("generation", 1), "conditions": conditions}
        for key, value in (("replicas", total), ("updatedReplicas", updated), ("readyReplicas", ready),
                           ("availableReplicas", ready), ("unavailableReplicas", max(0, want - ready))):
            if value:
                status[key] = value
        fresh = self.store.find(self.deployments, d["metadata"]["namespace"], d["metadata"]["name"])
        if fresh is None or fresh["metadata"]["uid"] != d["metadata"]["uid"]:
            return
        annotations = fresh["metadata"].setdefault("annotations", {})
        revision = current["metadata"].get("annotations", {}).get("deployment.kubernetes.io/revision", "1")
        if fresh.get("status") != status or annotations.get("deployment.kubernetes.io/revision") != revision:
            annotations["deployment.kubernetes.io/revision"] = revision
            fresh["status"] = status
            self.store.replace(self.deployments, fresh)

    # ---- replicasets ----
    def _replicasets(self):
        items, _ = self.store.list(self.replicasets)
        for rs in items:
            if rs["metadata"].get("deletionTimestamp"):
                continue
            ns = rs["metadata"]["namespace"]
            pods = [p for p in self._owned(self.pods, rs, ns) if not p["metadata"].get("deletionTimestamp")]
            want = rs["spec"].get("replicas", 1)
            for _ in range(want - len(pods)):
                template = copy.deepcopy(rs["spec"]["template"])
                pod = {"kind": "Pod", "apiVersion": "v1",
                       "metadata": {"name": f"{rs['metadata']['name']}-{admission.random_suffix()}",
                                    "generateName": rs["metadata"]["name"] + "-", "namespace": ns,
                                    "labels": (template.get("metadata") or {}).get("labels") or {},
                                    "annotations": (template.get("metadata") or {}).get("annotations") or {},
                                    "ownerReferences": [self._owner_ref("ReplicaSet", rs)]},
                       "spec": template.get("spec") or {}}
                if not pod["metadata"]["annotations"]:
                    del pod["metadata"]["annotations"]
                pod["spec"].setdefault("serviceAccountName", "default")
                pod["spec"].setdefault("serviceAccount", pod["spec"]["serviceAccountName"])
                admission.default(self.pods, pod, None)
                pods.append(self.store.create(self.pods, pod))
            for extra in sorted(pods, key=lambda p: not _is_ready(p))[:max(0, len(pods) - want)]:
                self.api.delete_object(self.pods, extra, None)
                pods.remove(extra)
            ready = sum(1 for p in pods if _is_ready(p))
            status = {"replicas": len(pods), "fullyLabeledReplicas": len(pods), "readyReplicas": ready,
                      "availableReplicas": ready, "observedGeneration": rs["metadata"].get("generation", 1)}
            status = {k: v for k, v in status.items() if v}
            status["replicas"] = len(pods)
            fresh = self.store.find(self.replicasets, ns, rs["metadata"]["name"])
            if fresh is not None and fresh.get("status") != status and fresh["metadata"]["uid"] == rs["metadata"]["uid"]:
                fresh["status"] = status
                self.store.replace(self.replicasets, fresh)

    # ---- garbage collection ----
    def _proxy(self):
        """Load-balancer addresses and the node-port / load-balancer relays (proxy.py)."""
        if self.proxy is not None:
            self.proxy.assign_load_balancers()
            self.proxy.sync()

    def _collect_garbage(self):
        changed = True
        while changed:
            changed = False
            everything = self.store.everything()
            uids = {o["metadata"]["uid"] for _, _, o in everything}
            dependents = {}
            for _, _, o in everything:
                for ref in o["metadata"].get("ownerReferences") or []:
                    dependents.setdefault(ref.get("uid"), []).append(o)
            for group, name, o in everything:
                res = self._resource(group, name)
                meta = o["metadata"]
                refs = meta.get("ownerReferences") or []
                if refs and not any(r.get("uid") in uids for r in refs):
                    if self.store.find(res, meta.get("namespace", ""), meta["name"]) is not None:
                        self.api.delete_object(res, copy.deepcopy(o), "Background")
                        changed = True
                elif meta.get("deletionTimestamp") and "foregroundDeletion" in (meta.get("finalizers") or []):
                    deps = dependents.get(meta["uid"], [])
                    for dep in deps:
                        dres = self._resource(*self._where(dep, everything))
                        if not dep["metadata"].get("deletionTimestamp") or dres.name == "pods":
                            if self.store.find(dres, dep["metadata"].get("namespace", ""), dep["metadata"]["name"]):
                                self.api.delete_object(dres, copy.deepcopy(dep), "Foreground")
                                changed = True
                    if not deps:
                        self.store.remove(res, meta.get("namespace", ""), meta["name"])
                        changed = True
                elif name == "namespaces" and meta.get("deletionTimestamp"):
                    inside = [(g, n, x) for g, n, x in everything if x["metadata"].get("namespace") == meta["name"]]
                    for g, n, x in inside:
                        if not x["metadata"].get("deletionTimestamp") or n == "pods":
                            self.api.delete_object(self._resource(g, n), copy.deepcopy(x), "Background")
                    if not inside:
                        self.store.remove(res, "", meta["name"])
                    changed = changed or bool(inside)

    @staticmethod
    def _where(obj, everything):
        for g, n, o in everything:
            if o is obj:
                return g, n
        raise KeyError(obj["metadata"]["name"])

    def _resource(self, group, name):
        return next(r for r in self.registry.all() if r.group == group and r.name == name)

    # ---- scheduling and pod status ----
    def _schedule_and_run(self):
        node = self.store.find(self.nodes, "", self.node_name)
        allocatable = (node or {}).get("status", {}).get("allocatable", {})
        pods, _ = self.store.list(self.pods)
        live = {p["metadata"]["uid"] for p in pods}
        for uid in list(self.started_pods - live):
            self.started_pods.discard(uid)
        self.runtime.forget_except(live) if hasattr(self.runtime, "forget_except") else None
        used = {"cpu": 0.0, "memory": 0.0}
        for p in pods:
            if p["spec"].get("nodeName") and (p.get("status") or {}).get("phase") not in ("Succeeded", "Failed"):
                for k in used:
                    used[k] += _requests(p, k)
        for p in sorted(pods, key=lambda p: p["metadata"]["creationTimestamp"]):
            if p["metadata"].get("deletionTimestamp"):
                continue
            if not p["spec"].get("nodeName"):
                short = [k for k in ("cpu", "memory")
                         if used[k] + _requests(p, k) > (quantities.parse(allocatable.get(k, "0")) or 0) + 1e-9]
                if short:
                    self._write_status(p, _unschedulable(p, short))
                    continue
                for k in used:
                    used[k] += _requests(p, k)
                p = copy.deepcopy(p)
                p["spec"]["nodeName"] = self.node_name
                p = self.store.replace(self.pods, p)
            if p["metadata"]["uid"] not in self.started_pods:
                self.started_pods.add(p["metadata"]["uid"])
                self.runtime.start(p)
            ip, containers = self.runtime.status(p)
            self._write_status(p, _running_status(p, ip, containers, self.node_address))

    def _write_status(self, pod, status):
        fresh = self.store.find(self.pods, pod["metadata"]["namespace"], pod["metadata"]["name"])
        if fresh is None or fresh["metadata"]["uid"] != pod["metadata"]["uid"]:
            return
        old = fresh.get("status") or {}
        for c in status.get("conditions", []):  # a condition keeps its time until it changes
            prev = next((o for o in old.get("conditions", []) if o["type"] == c["type"]), None)
            if prev and prev["status"] == c["status"]:
                c["lastTransitionTime"] = prev.get("lastTransitionTime")
        if "startTime" in old:
            status["startTime"] = old["startTime"]
        if old != status:
            fresh["status"] = status
            self.store.replace(self.pods, fresh)


def _condition(old_status, kind, status, reason, message):
    t = now()
    prev = next((c for c in (old_status.get("conditions") or []) if c["type"] == kind), None)
    transition = prev["lastTransitionTime"] if prev and prev["status"] == status else t
    return {"type": kind, "status": status, "lastUpdateTime": prev.get("lastUpdateTime", t) if prev and
            prev["reason"] == reason else t, "lastTransitionTime": transition, "reason": reason, "message": message}


def _is_ready(pod):
    return any(c["type"] == "Ready" and c["status"] == "True" for c in (pod.get("status") or {}).get("conditions", []))


def _requests(pod, key):
    total = 0.0
    for c in pod["spec"].get("containers") or []:
        total += quantities.parse(((c.get("resources") or {}).get("requests") or {}).get(key, "0")) or 0
    return total


def _unschedulable(pod, short):
    message = "0/1 nodes are available: " + ", ".join(f"1 Insufficient {k}" for k in short) + "."
    return {"phase": "Pending", "conditions": [
        {"type": "PodScheduled", "status": "False", "lastProbeTime": None, "lastTransitionTime": now(),
         "reason": "Unschedulable", "message": message}], "qosClass": admission.qos_class(pod["spec"])}


def _running_status(pod, ip, containers, host_ip):
    statuses = [containers[c["name"]] for c in pod["spec"].get("containers") or [] if c["name"] in containers]
    all_ready = bool(statuses) and len(statuses) == len(pod["spec"].get("containers") or []) and \
        all(s.get("ready") for s in statuses)
    terminated = [s for s in statuses if "terminated" in s.get("state", {})]
    if statuses and len(terminated) == len(statuses) and pod["spec"].get("restartPolicy") != "Always":
        phase = "Succeeded" if all(s["state"]["terminated"].get("exitCode") == 0 for s in terminated) else "Failed"
    elif statuses and any("running" in s.get("state", {}) for s in statuses) or \
            any(s.get("restartCount", 0) > 0 or s.get("lastState") for s in statuses):
        phase = "Running"
    else:
        phase = "Pending"
    t = now()

    def cond(kind, ok, reason=None):
        c = {"type": kind, "status": "True" if ok else "False", "lastProbeTime": None, "lastTransitionTime": t}
        if not ok and reason:
            c["reason"] = reason
        return c
    not_ready = [s["name"] for s in statuses if not s.get("ready")] or [c["name"] for c in pod["spec"]["containers"]]
    conditions = [cond("PodReadyToStartContainers", ip is not None), cond("Initialized", True),
                  cond("Ready", all_ready, "ContainersNotReady"), cond("ContainersReady", all_ready, "ContainersNotReady"),
                  cond("PodScheduled", True)]
    for c in conditions[2:4]:
        if c["status"] == "False":
            c["message"] = f"containers with unready status: [{' '.join(not_ready)}]"
    status = {"phase": phase, "conditions": conditions, "hostIP": host_ip, "hostIPs": [{"ip": host_ip}]}
    if ip:
        status["podIP"], status["podIPs"] = ip, [{"ip": ip}]
    status["startTime"] = t
    if statuses:
        status["containerStatuses"] = statuses
    else:
        status["containerStatuses"] = [{"name": c["name"], "state": {"waiting": {"reason": "ContainerCreating"}},
                                        "lastState": {}, "ready": False, "restartCount": 0, "image": c.get("image"),
                                        "imageID": "", "started": False} for c in pod["spec"]["containers"]]
    status["qosClass"] = admission.qos_class(pod["spec"])
    return status
