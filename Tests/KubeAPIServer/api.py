"""The resource API: parse a path into (resource, namespace, name, subresource), the verb RBAC
checks, and create / get / list / update / patch / delete with the real server's answers."""
import copy
import json
import threading
from dataclasses import dataclass
from urllib.parse import unquote

import admission
import patches
import label_selectors as selectors
import services
from statuses import APIError, already_exists, bad_request, conflict, method_not_allowed, not_found, success, invalid
from store import now

# The real registries that answer a DELETE with the object rather than a Status.
_RETURNS_DELETED = {"pods", "services", "namespaces", "persistentvolumeclaims"}
_PROPAGATION = ("Foreground", "Background", "Orphan")


@dataclass
class Target:
    res: object
    namespace: str
    name: str
    subresource: str


def parse_path(registry, path):
    """None when the path is not a resource path (discovery, openapi …)."""
    parts = [unquote(p) for p in path.strip("/").split("/")]
    if parts[:2] == ["api", "v1"]:
        group, version, rest = "", "v1", parts[2:]
    elif len(parts) >= 3 and parts[0] == "apis":
        group, version, rest = parts[1], parts[2], parts[3:]
    else:
        return None
    if not rest:
        return None
    namespace = ""
    if rest[0] == "namespaces" and len(rest) >= 3:
        res = registry.lookup(group, version, rest[2])
        if res is not None and res.namespaced:
            namespace, rest = rest[1], rest[2:]
    res = registry.lookup(group, version, rest[0])
    if res is None or len(rest) > 3:
        raise APIError(404, "NotFound", "the server could not find the requested resource", {})
    name = rest[1] if len(rest) > 1 else ""
    sub = rest[2] if len(rest) > 2 else ""
    if sub and sub not in res.subresources:
        raise APIError(404, "NotFound", "the server could not find the requested resource", {})
    return Target(res, namespace, name, sub)


def verb_of(method, target, query):
    watching = query.get("watch") in ("1", "true")
    if method == "GET":
        if watching:
            return "watch"
        return "get" if target.name else "list"
    return {"POST": "create", "PUT": "update", "PATCH": "patch",
            "DELETE": "delete" if target.name else "deletecollection"}.get(method, "")


class API:
    def __init__(self, store, registry, schemas, cluster_ips):
        self.store, self.registry, self.schemas, self.cluster_ips = store, registry, schemas, cluster_ips
        self.namespaces = registry.lookup("", "v1", "namespaces")
        # Writes to one object are read-modify-write: one lock keeps them whole.
        self.write_lock = threading.RLock()

    # ---- helpers ----
    def _decode(self, t, body, query):
        try:
            obj = json.loads(body or b"null")
        except ValueError as e:
            raise bad_request(f"couldn't get version/kind; json parse error: {e}")
        if not isinstance(obj, dict):
            raise bad_request("Object 'Kind' is missing in '" + (body or b"").decode(errors="replace")[:200] + "'")
        strict = query.get("fieldValidation") == "Strict"  # kubectl sends it; the default is Warn
        obj.setdefault("apiVersion", t.res.api_version)
        obj.setdefault("kind", t.res.kind)
        if obj["apiVersion"] != t.res.api_version or obj["kind"] != t.res.kind:
            raise bad_request(f'the API version in the data ({obj["apiVersion"]}) does not match the expected API '
                              f"version ({t.res.api_version})" if obj["apiVersion"] != t.res.api_version else
                              f'{obj["kind"]} in version "{t.res.version}" cannot be handled as a {t.res.kind}: '
                              f'no kind "{obj["kind"]}" is registered for version "{t.res.api_version}"')
        self.schemas.check(t.res.group, t.res.version, t.res.kind, obj, strict)
        meta = obj.get("metadata")
        if meta is None:
            obj["metadata"] = meta = {}
        return obj

    def _require_namespace(self, namespace):
        if namespace and self.store.find(self.namespaces, "", namespace) is None:
            raise not_found(self.namespaces, namespace)

    @staticmethod
    def _with_kind(res, obj):
        obj["kind"], obj["apiVersion"] = res.kind, res.api_version
        return obj

    # ---- verbs ----
    def create(self, t, body, query):
        if t.name:
            raise method_not_allowed()
        obj = self._decode(t, body, query)
        meta = obj["metadata"]
        if t.res.namespaced:
            if meta.get("namespace") and meta["namespace"] != t.namespace:
                raise bad_request("the namespace of the provided object does not match the namespace sent on the request")
            meta["namespace"] = t.namespace
        else:
            meta.pop("namespace", None)
        if not meta.get("name") and meta.get("generateName"):
            meta["name"] = meta["generateName"] + admission.random_suffix()
        for server_owned in ("uid", "resourceVersion", "creationTimestamp", "deletionTimestamp", "generation"):
            meta.pop(server_owned, None)
        admission.validate(t.res, obj)
        self._require_namespace(t.namespace if t.res.namespaced else "")
        with self.write_lock:
            if t.res.kind == "Service":
                if self.store.find(t.res, t.namespace, meta.get("name", "")) is not None:
                    raise already_exists(t.res, meta["name"])  # before anything is allocated
                services.admit(self.cluster_ips, obj)
            admission.default(t.res, obj, self.cluster_ips)
            if query.get("dryRun") == "All":
                if t.res.kind == "Service":
                    services.released(self.cluster_ips, obj)
                return 201, obj
            return 201, self._with_kind(t.res, self.store.create(t.res, obj))

    def get(self, t):
        return 200, self._with_kind(t.res, self.store.get(t.res, t.namespace, t.name))

    def list(self, t, query):
        labels = selectors.parse_labels(query.get("labelSelector", ""))
        fields = selectors.parse_fields(query.get("fieldSelector", ""), selectors.supported_fields(t.res.name))
        items, rv = self.store.list(t.res, t.namespace if t.res.namespaced and t.namespace else None,
                                    lambda o: labels((o.get("metadata") or {}).get("labels")) and fields(o))
        for item in items:
            item.pop("kind", None)
            item.pop("apiVersion", None)
        return 200, {"kind": t.res.kind + "List", "apiVersion": t.res.api_version,
                     "metadata": {"resourceVersion": rv}, "items": items}

    def update(self, t, body, query):
        obj = self._decode(t, body, query)
        meta = obj["metadata"]
        if meta.get("name", t.name) != t.name:
            raise bad_request(f'the name of the object ({meta["name"]}) does not match the name on the URL ({t.name})')
        with self.write_lock:
            old = self.store.get(t.res, t.namespace, t.name)
            rv = meta.get("resourceVersion")
            if rv and rv != old["metadata"]["resourceVersion"]:
                raise conflict(t.res, t.name)
            return 200, self._write(t, old, obj, status_only=t.subresource == "status")

    def patch(self, t, body, content_type, query):
        try:
            patch = json.loads(body or b"null")
        except ValueError as e:
            raise bad_request(f"error decoding patch: {e}")
        with self.write_lock:
            old = self.store.get(t.res, t.namespace, t.name)
            if t.subresource == "scale":
                scale = patches.apply(content_type, self._scale_of(old), patch)
                replicas = (scale.get("spec") or {}).get("replicas", 0)
                return 200, self._set_replicas(t, old, replicas)
            new = patches.apply(content_type, old, patch)
            rv = (new.get("metadata") or {}).get("resourceVersion")
            if rv and rv != old["metadata"]["resourceVersion"]:
                raise conflict(t.res, t.name)
            self.schemas.check(t.res.group, t.res.version, t.res.kind, new, False)
            return 200, self._write(t, old, new, status_only=t.subresource == "status")

    def _write(self, t, old, new, status_only):
        new = copy.deepcopy(new)
        new.setdefault("metadata", {})
        for owned in ("uid", "creationTimestamp", "namespace", "name", "generation", "deletionTimestamp"):
            if owned in old["metadata"]:
                new["metadata"][owned] = old["metadata"][owned]
            else:
                new["metadata"].pop(owned, None)
        if status_only:
            merged = copy.deepcopy(old)
            merged["status"] = new.get("status")
            new = merged
        else:
            if "status" in old:
                new["status"] = old["status"]  # status is written through /status only
            admission.validate(t.res, new)
            if t.res.kind == "Service":
                services.admit(self.cluster_ips, new, old)
            admission.default(t.res, new, self.cluster_ips) if t.res.kind in ("Deployment", "ReplicaSet", "Pod", "Service") else None
            if t.res.kind == "Service":
                services.released(self.cluster_ips, old, new)
            new["metadata"]["generation"] = old["metadata"].get("generation")
            if "generation" in old["metadata"] and new.get("spec") != old.get("spec"):
                new["metadata"]["generation"] = old["metadata"]["generation"] + 1
            if new["metadata"]["generation"] is None:
                new["metadata"].pop("generation")
            if "status" in old:
                new["status"] = old["status"]
        return self._with_kind(t.res, self.store.replace(t.res, new))

    # ---- scale ----
    @staticmethod
    def _scale_of(obj):
        spec = {}
        replicas = (obj.get("spec") or {}).get("replicas", 1)
        if replicas:
            spec["replicas"] = replicas  # the real server omits a zero (omitempty)
        labels = ((obj.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
        meta = obj["metadata"]
        return {"kind": "Scale", "apiVersion": "autoscaling/v1",
                "metadata": {k: meta[k] for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")},
                "spec": spec,
                "status": {"replicas": (obj.get("status") or {}).get("replicas", 0),
                           "selector": ",".join(f"{k}={v}" for k, v in labels.items())}}

    def get_scale(self, t):
        return 200, self._scale_of(self.store.get(t.res, t.namespace, t.name))

    def put_scale(self, t, body):
        try:
            scale = json.loads(body or b"null")
        except ValueError as e:
            raise bad_request(f"error decoding Scale: {e}")
        replicas = ((scale or {}).get("spec") or {}).get("replicas", 0)
        with self.write_lock:
            old = self.store.get(t.res, t.namespace, t.name)
            rv = ((scale or {}).get("metadata") or {}).get("resourceVersion")
            if rv and rv != old["metadata"]["resourceVersion"]:
                raise conflict(t.res, t.name)
            return 200, self._set_replicas(t, old, replicas)

    def _set_replicas(self, t, old, replicas):
        if isinstance(replicas, bool) or not isinstance(replicas, int):
            raise bad_request(f'Scale in version "v1" cannot be handled as a Scale: json: cannot unmarshal '
                              f"{type(replicas).__name__} into Go struct field ScaleSpec.spec.replicas of type int32")
        if replicas < 0:
            raise invalid("Scale", t.name, [("spec.replicas", f"Invalid value: {replicas}: must be greater than or equal to 0")],
                          "autoscaling")
        new = copy.deepcopy(old)
        new["spec"]["replicas"] = replicas
        if new["spec"] != old["spec"]:
            new["metadata"]["generation"] = old["metadata"].get("generation", 1) + 1
        return self._scale_of(self.store.replace(t.res, new))

    # ---- delete ----
    def delete(self, t, body, query):
        options = {}
        if body and body.strip():
            try:
                options = json.loads(body)
            except ValueError as e:
                raise bad_request(f"error decoding DeleteOptions: {e}")
            if not isinstance(options, dict):
                raise bad_request("DeleteOptions must be an object")
        policy = options.get("propagationPolicy") or query.get("propagationPolicy")
        if policy is not None and policy not in _PROPAGATION:
            raise invalid("DeleteOptions", "", [("propagationPolicy", f'Unsupported value: "{policy}": supported '
                                                 'values: "Foreground", "Background", "Orphan", "nil"')], "meta.k8s.io")
        pre = (options.get("preconditions") or {})
        if not t.name:
            return self._delete_collection(t, query, policy)
        with self.write_lock:
            obj = self.store.get(t.res, t.namespace, t.name)
            if pre.get("uid") and pre["uid"] != obj["metadata"]["uid"]:
                raise conflict(t.res, t.name)
            if query.get("dryRun") == "All":
                return 200, self._with_kind(t.res, obj)
            return 200, self.delete_object(t.res, obj, policy)

    def delete_object(self, res, obj, policy):
        meta = obj["metadata"]
        if policy == "Orphan":
            self._orphan(meta["uid"])
        if policy == "Foreground" or res.name == "namespaces":
            # The garbage collector removes it once its dependents (or contents) are gone.
            if not meta.get("deletionTimestamp"):
                meta["deletionTimestamp"] = now()
                meta["deletionGracePeriodSeconds"] = 0
                if "generation" in meta:  # setting deletionTimestamp is a spec-level change
                    meta["generation"] += 1
                if res.name == "namespaces":
                    obj["status"] = {"phase": "Terminating"}
                else:
                    meta["finalizers"] = list(dict.fromkeys((meta.get("finalizers") or []) + ["foregroundDeletion"]))
                obj = self.store.replace(res, obj)
            return self._with_kind(res, obj)
        if res.name == "pods" and not meta.get("deletionTimestamp"):
            meta["deletionTimestamp"] = now()
            meta["deletionGracePeriodSeconds"] = 0
            obj = self.store.replace(res, obj)
        gone = self.store.remove(res, meta.get("namespace", ""), meta["name"])
        if res.kind == "Service":
            services.released(self.cluster_ips, gone)
        if res.name in _RETURNS_DELETED:
            return self._with_kind(res, gone)
        return success(res, meta["name"], meta["uid"])

    def _orphan(self, uid):
        for group, name, o in self.store.everything():
            refs = (o.get("metadata") or {}).get("ownerReferences") or []
            if any(r.get("uid") == uid for r in refs):
                res = next(r for r in self.registry.all() if r.group == group and r.name == name)
                o = copy.deepcopy(o)
                o["metadata"]["ownerReferences"] = [r for r in refs if r.get("uid") != uid]
                if not o["metadata"]["ownerReferences"]:
                    del o["metadata"]["ownerReferences"]
                self.store.replace(res, o)

    def _delete_collection(self, t, query, policy):
        _, listing = self.list(t, query)
        for item in listing["items"]:
            obj = self.store.find(t.res, item["metadata"].get("namespace", ""), item["metadata"]["name"])
            if obj is not None:
                self.delete_object(t.res, obj, policy)
        return 200, listing
