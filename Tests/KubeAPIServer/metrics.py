"""metrics.k8s.io/v1beta1 (with --metrics), as metrics-server serves it: PodMetrics from the
runtime's container usage (Docker's stats; a simulated container uses nothing) and NodeMetrics as
the sum over the node's pods."""
import time

import label_selectors
from statuses import APIError
from store import now

GROUP, VERSION = "metrics.k8s.io", "v1beta1"
_RESOURCES = [("nodes", "NodeMetrics", "Cluster", "node"), ("pods", "PodMetrics", "Namespaced", "pod")]


def add_to_discovery(golden):
    """Adds the group to the golden documents before the registry reads them."""
    gv = {"groupVersion": f"{GROUP}/{VERSION}", "version": VERSION}
    golden.apis["groups"].append({"name": GROUP, "versions": [gv], "preferredVersion": gv})
    golden.aggregated_apis["items"].append({
        "metadata": {"name": GROUP, "creationTimestamp": None},
        "versions": [{"version": VERSION, "freshness": "Current", "resources": [
            {"resource": r, "responseKind": {"group": "", "version": "", "kind": k}, "scope": scope,
             "singularResource": singular, "verbs": ["get", "list"]} for r, k, scope, singular in _RESOURCES]}]})


def _cpu(cores):
    return f"{int(cores * 1e9)}n"


def _memory(octets):
    return f"{int(octets // 1024)}Ki"


class Metrics:
    def __init__(self, store, registry, runtime):
        self.store, self.runtime = store, runtime
        self.pods = registry.lookup("", "v1", "pods")
        self.nodes = registry.lookup("", "v1", "nodes")

    def _pod_metrics(self, pod):
        usage = self.runtime.usage(pod)
        return {"kind": "PodMetrics", "apiVersion": f"{GROUP}/{VERSION}",
                "metadata": {"name": pod["metadata"]["name"], "namespace": pod["metadata"]["namespace"],
                             "creationTimestamp": now(), "labels": pod["metadata"].get("labels") or {}},
                "timestamp": now(), "window": "10s",
                "containers": [{"name": name, "usage": {"cpu": _cpu(cpu), "memory": _memory(mem)}}
                               for name, (cpu, mem) in usage.items()]}

    def _node_metrics(self, node):
        pods, _ = self.store.list(self.pods, None, lambda p: p["spec"].get("nodeName") == node["metadata"]["name"])
        cpu = mem = 0.0
        for p in pods:
            for c, m in self.runtime.usage(p).values():
                cpu, mem = cpu + c, mem + m
        return {"kind": "NodeMetrics", "apiVersion": f"{GROUP}/{VERSION}",
                "metadata": {"name": node["metadata"]["name"], "creationTimestamp": now(),
                             "labels": node["metadata"].get("labels") or {}},
                "timestamp": now(), "window": "10s", "usage": {"cpu": _cpu(cpu), "memory": _memory(mem)}}

    def answer(self, t, query):
        source = self.nodes if t.res.name == "nodes" else self.pods
        make = self._node_metrics if t.res.name == "nodes" else self._pod_metrics
        if t.name:
            obj = self.store.find(source, t.namespace, t.name)
            if obj is None or (source is self.pods and not obj["spec"].get("nodeName")):
                raise APIError(404, "NotFound", f'{t.res.name}.{GROUP} "{t.name}" not found',
                               {"name": t.name, "group": GROUP, "kind": t.res.name})
            return make(obj)
        labels = label_selectors.parse_labels(query.get("labelSelector", ""))
        items, _ = self.store.list(source, t.namespace or None,
                                   lambda o: labels(o["metadata"].get("labels")) and
                                   (source is self.nodes or bool(o["spec"].get("nodeName"))))
        return {"kind": t.res.kind + "List", "apiVersion": f"{GROUP}/{VERSION}",
                "metadata": {"resourceVersion": ""}, "items": [make(o) for o in items]}
