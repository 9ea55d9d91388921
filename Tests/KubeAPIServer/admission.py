"""Server-side defaults and the validation the driver meets (names, ports, images, replicas),
worded as the real server's 422 Invalid."""
import hashlib
import random
import re

from statuses import invalid

_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_IMAGE = re.compile(r"^[^\s]+$")
_NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
# Kinds whose names are DNS-1035/1123 labels rather than subdomains.
_LABEL_NAMED = {"Service", "Namespace"}


def random_suffix(n=5):
    return "".join(random.choice(_NAME_ALPHABET) for _ in range(n))


def template_hash(template_json):
    digest = int(hashlib.sha256(template_json.encode()).hexdigest(), 16)
    out = ""
    while len(out) < 10:
        out += _NAME_ALPHABET[digest % len(_NAME_ALPHABET)]
        digest //= len(_NAME_ALPHABET)
    return out


def validate(res, obj):
    kind = res.kind
    meta = obj.get("metadata") or {}
    name = meta.get("name", "")
    causes = []
    pattern = _DNS1123_LABEL if kind in _LABEL_NAMED else _DNS1123_SUBDOMAIN
    if not name:
        causes.append(("metadata.name", "Required value: name or generateName is required"))
    elif len(name) > (63 if kind in _LABEL_NAMED else 253) or not pattern.match(name):
        causes.append(("metadata.name", f'Invalid value: "{name}": a lowercase RFC 1123 '
                       f'{"label" if kind in _LABEL_NAMED else "subdomain"} must consist of lower case alphanumeric '
                       "characters, '-' or '.', and must start and end with an alphanumeric character"))
    for k, v in (meta.get("labels") or {}).items():
        if not isinstance(v, str) or len(v) > 63 or not _LABEL_VALUE.match(v):
            causes.append(("metadata.labels", f'Invalid value: "{v}": a valid label must be an empty string or '
                           "consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
                           "alphanumeric character"))
    spec = obj.get("spec") or {}
    if kind == "Service":
        for i, p in enumerate(spec.get("ports") or []):
            _port(causes, f"spec.ports[{i}].port", p.get("port"))
            if isinstance(p.get("targetPort"), int):
                _port(causes, f"spec.ports[{i}].targetPort", p.get("targetPort"))
    elif kind == "Pod":
        _pod_spec(causes, "spec", spec)
    elif kind in ("Deployment", "ReplicaSet"):
        if isinstance(spec.get("replicas"), int) and spec["replicas"] < 0:
            causes.append(("spec.replicas", f"Invalid value: {spec['replicas']}: must be greater than or equal to 0"))
        selector = (spec.get("selector") or {}).get("matchLabels")
        if not spec.get("selector"):
            causes.append(("spec.selector", "Required value"))
        labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
        if selector and any(labels.get(k) != v for k, v in selector.items()):
            causes.append(("spec.template.metadata.labels", f"Invalid value: {_go_map(labels)}: "
                           "`selector` does not match template `labels`"))
        _pod_spec(causes, "spec.template.spec", (spec.get("template") or {}).get("spec") or {})
    if causes:
        raise invalid(kind, name, causes, res.group)


def _go_map(d):
    return "map[string]string{" + ", ".join(f'"{k}":"{v}"' for k, v in sorted(d.items())) + "}"


def _port(causes, field, value):
    if not isinstance(value, int) or not 1 <= value <= 65535:
        causes.append((field, f"Invalid value: {value}: must be between 1 and 65535, inclusive"))


def _pod_spec(causes, at, spec):
    containers = spec.get("containers") or []
    if not containers:
        causes.append((f"{at}.containers", "Required value"))
    for i, c in enumerate(containers):
        if not c.get("name"):
            causes.append((f"{at}.containers[{i}].name", "Required value"))
        image = c.get("image")
        if not image:
            causes.append((f"{at}.containers[{i}].image", "Required value"))
        elif not _IMAGE.match(image) or image != image.strip():
            causes.append((f"{at}.containers[{i}].image", f'Invalid value: "{image}": must not have leading or '
                           "trailing whitespace"))
        for j, p in enumerate(c.get("ports") or []):
            _port(causes, f"{at}.containers[{i}].ports[{j}].containerPort", p.get("containerPort"))


# ---- defaults --------------------------------------------------------------------------------

def default(res, obj, cluster_ips):
    kind = res.kind
    meta = obj.setdefault("metadata", {})
    spec = obj.get("spec")
    if kind == "Pod":
        _pod_spec_defaults(obj.setdefault("spec", {}))
        obj.setdefault("status", {"phase": "Pending", "qosClass": qos_class(obj["spec"])})
    elif kind in ("Deployment", "ReplicaSet"):
        spec = obj.setdefault("spec", {})
        spec.setdefault("replicas", 1)
        _pod_spec_defaults(spec.setdefault("template", {}).setdefault("spec", {}))
        if kind == "Deployment":
            spec.setdefault("strategy", {"type": "RollingUpdate",
                                         "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}})
            spec.setdefault("revisionHistoryLimit", 10)
            spec.setdefault("progressDeadlineSeconds", 600)
        obj.setdefault("status", {})
        meta["generation"] = 1
    elif kind == "Service":
        spec = obj.setdefault("spec", {})
        spec.setdefault("type", "ClusterIP")
        for p in spec.get("ports") or []:
            p.setdefault("protocol", "TCP")
            p.setdefault("targetPort", p.get("port"))
            if spec["type"] in ("NodePort", "LoadBalancer"):
                p.setdefault("nodePort", cluster_ips.node_port())
        if spec.get("clusterIP") != "None":
            ip = spec.get("clusterIP") or cluster_ips.cluster_ip()
            spec["clusterIP"], spec["clusterIPs"] = ip, [ip]
        spec.setdefault("sessionAffinity", "None")
        spec.setdefault("ipFamilies", ["IPv4"])
        spec.setdefault("ipFamilyPolicy", "SingleStack")
        spec.setdefault("internalTrafficPolicy", "Cluster")
        if spec["type"] in ("NodePort", "LoadBalancer"):
            spec.setdefault("externalTrafficPolicy", "Cluster")
        obj["status"] = {"loadBalancer": {}}
    elif kind == "Namespace":
        meta.setdefault("labels", {})["kubernetes.io/metadata.name"] = meta.get("name", "")
        obj["spec"] = {"finalizers": ["kubernetes"]}
        obj["status"] = {"phase": "Active"}
    elif kind == "PersistentVolumeClaim":
        spec = obj.setdefault("spec", {})
        spec.setdefault("volumeMode", "Filesystem")
        # The sandbox has a provisioner of its own: every claim binds at once.
        spec.setdefault("volumeName", "pvc-" + random_suffix(8))
        obj["status"] = {"phase": "Bound", "accessModes": spec.get("accessModes", []),
                         "capacity": ((spec.get("resources") or {}).get("requests") or {})}
    elif kind == "Ingress":
        obj["status"] = {"loadBalancer": {}}
    elif spec is not None and kind in ("Role", "ClusterRole"):
        pass


def _pod_spec_defaults(spec):
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("securityContext", {})
    spec.setdefault("schedulerName", "default-scheduler")
    for c in (spec.get("containers") or []) + (spec.get("initContainers") or []):
        c.setdefault("resources", {})
        c.setdefault("terminationMessagePath", "/dev/termination-log")
        c.setdefault("terminationMessagePolicy", "File")
        image = c.get("image") or ""
        untagged = ":" not in image.rsplit("/", 1)[-1] and "@" not in image
        c.setdefault("imagePullPolicy", "Always" if untagged or image.endswith(":latest") else "IfNotPresent")
        for p in c.get("ports") or []:
            p.setdefault("protocol", "TCP")
        # Limits without requests: requests default to the limits.
        res = c["resources"]
        if res.get("limits"):
            req = res.setdefault("requests", {})
            for k, v in res["limits"].items():
                req.setdefault(k, v)


def qos_class(spec):
    containers = spec.get("containers") or []
    reqs = [(c.get("resources") or {}) for c in containers]
    if all(not r.get("requests") and not r.get("limits") for r in reqs):
        return "BestEffort"
    guaranteed = all(r.get("limits") and set(r["limits"]) >= {"cpu", "memory"} and
                     all(r.get("requests", {}).get(k, v) == v for k, v in r["limits"].items()) for r in reqs)
    return "Guaranteed" if guaranteed else "Burstable"
