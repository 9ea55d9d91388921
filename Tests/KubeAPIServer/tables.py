"""Server-side printing: what `kubectl get` asks for (Accept: …;as=Table;g=meta.k8s.io;v=v1), with
the columns the real server prints for the kinds the driver uses, and Name / Created At otherwise."""
import calendar
import time


def wants_table(accept):
    return "as=Table" in (accept or "").replace(" ", "")


def _age(ts):
    if not ts:
        return "<unknown>"
    s = max(0, int(time.time() - calendar.timegm(time.strptime(ts, "%Y-%m-%dT%H:%M:%SZ"))))
    if s < 120:
        return f"{s}s"
    m = s // 60
    if m < 10:
        return f"{m}m{s % 60}s" if s % 60 else f"{m}m"
    if m < 180:
        return f"{m}m"
    h = m // 60
    if h < 8:
        return f"{h}h{m % 60}m" if m % 60 else f"{h}h"
    if h < 48:
        return f"{h}h"
    return f"{h // 24}d"


def _col(name, kind="string", fmt="", priority=0):
    return {"name": name, "type": kind, "format": fmt, "description": name, "priority": priority}


def _pod(o):
    st = o.get("status") or {}
    cs = st.get("containerStatuses") or []
    total = len((o.get("spec") or {}).get("containers") or [])
    ready = sum(1 for c in cs if c.get("ready"))
    reason = st.get("phase", "Pending")
    for c in cs:
        w = (c.get("state") or {}).get("waiting")
        t = (c.get("state") or {}).get("terminated")
        if w and w.get("reason") and w["reason"] != "ContainerCreating" or (w and reason == "Pending"):
            reason = w.get("reason") or reason
        elif t:
            reason = t.get("reason") or reason
    if o["metadata"].get("deletionTimestamp"):
        reason = "Terminating"
    return [o["metadata"]["name"], f"{ready}/{total}", reason, sum(c.get("restartCount", 0) for c in cs),
            _age(o["metadata"].get("creationTimestamp")), st.get("podIP") or "<none>",
            (o.get("spec") or {}).get("nodeName") or "<none>"]


def _deployment(o):
    st, want = o.get("status") or {}, (o.get("spec") or {}).get("replicas", 1)
    return [o["metadata"]["name"], f"{st.get('readyReplicas', 0)}/{want}", st.get("updatedReplicas", 0),
            st.get("availableReplicas", 0), _age(o["metadata"].get("creationTimestamp"))]


def _replicaset(o):
    st = o.get("status") or {}
    return [o["metadata"]["name"], (o.get("spec") or {}).get("replicas", 1), st.get("replicas", 0),
            st.get("readyReplicas", 0), _age(o["metadata"].get("creationTimestamp"))]


def _service(o):
    spec = o.get("spec") or {}
    ingress = ((o.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
    external = ",".join(i.get("ip") or i.get("hostname", "") for i in ingress) or \
        ("<pending>" if spec.get("type") == "LoadBalancer" else "<none>")
    ports = ",".join(f"{p['port']}" + (f":{p['nodePort']}" if p.get("nodePort") else "") + f"/{p.get('protocol', 'TCP')}"
                     for p in spec.get("ports") or []) or "<none>"
    return [o["metadata"]["name"], spec.get("type", "ClusterIP"), spec.get("clusterIP", "<none>"), external, ports,
            _age(o["metadata"].get("creationTimestamp"))]


def _node(o):
    ready = next((c["status"] for c in (o.get("status") or {}).get("conditions", []) if c["type"] == "Ready"), "Unknown")
    roles = ",".join(k.split("/", 1)[1] for k in (o["metadata"].get("labels") or {})
                     if k.startswith("node-role.kubernetes.io/")) or "<none>"
    return [o["metadata"]["name"], "Ready" if ready == "True" else "NotReady", roles,
            _age(o["metadata"].get("creationTimestamp")),
            ((o.get("status") or {}).get("nodeInfo") or {}).get("kubeletVersion", "")]


def _namespace(o):
    return [o["metadata"]["name"], (o.get("status") or {}).get("phase", "Active"), _age(o["metadata"].get("creationTimestamp"))]


_KINDS = {
    "Pod": ([_col("Name", fmt="name"), _col("Ready"), _col("Status"), _col("Restarts", "string"), _col("Age"),
             _col("IP", priority=1), _col("Node", priority=1)], _pod),
    "Deployment": ([_col("Name", fmt="name"), _col("Ready"), _col("Up-to-date", "integer"),
                    _col("Available", "integer"), _col("Age")], _deployment),
    "ReplicaSet": ([_col("Name", fmt="name"), _col("Desired", "integer"), _col("Current", "integer"),
                    _col("Ready", "integer"), _col("Age")], _replicaset),
    "Service": ([_col("Name", fmt="name"), _col("Type"), _col("Cluster-IP"), _col("External-IP"), _col("Port(s)"),
                 _col("Age")], _service),
    "Node": ([_col("Name", fmt="name"), _col("Status"), _col("Roles"), _col("Age"), _col("Version")], _node),
    "Namespace": ([_col("Name", fmt="name"), _col("Status"), _col("Age")], _namespace),
}
_DEFAULT = ([_col("Name", fmt="name"), _col("Created At", fmt="date")],
            lambda o: [o["metadata"]["name"], o["metadata"].get("creationTimestamp")])


def table(res, items, resource_version, include_object="Metadata", headers=True):
    columns, cells = _KINDS.get(res.kind, _DEFAULT)
    rows = []
    for o in items:
        row = {"cells": cells(o)}
        if include_object == "Object":
            row["object"] = dict(o, kind=res.kind, apiVersion=res.api_version)
        elif include_object != "None":
            row["object"] = {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": o["metadata"]}
        rows.append(row)
    out = {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": {"resourceVersion": resource_version}}
    if headers:
        out["columnDefinitions"] = columns
    out["rows"] = rows
    return out
