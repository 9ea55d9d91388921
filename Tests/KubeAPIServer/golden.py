"""The documents a real kube-apiserver 1.32 served (Tests/Fixtures/kubernetes-api), and what is
derived from them for group versions that were not captured one by one."""
import copy
import gzip
import json
import os
import re

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Fixtures", "kubernetes-api")

AGGREGATED_MEDIA = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"


def load(name):
    with gzip.open(os.path.join(FIXTURES, name + ".json.gz"), "rb") as f:
        return json.load(f)


class Golden:
    """Loaded once; every answer is a fresh JSON encoding, so callers cannot change the originals."""

    def __init__(self, server_address):
        self.version = load("version")
        self.api = load("discovery-api")
        self.api["serverAddressByClientCIDRs"] = [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}]
        self.apis = load("discovery-apis")
        self.aggregated_api = load("aggregated-discovery-api")
        self.aggregated_apis = load("aggregated-discovery-apis")
        self.responses = load("responses")
        self._openapi_v2_bytes = None
        self._openapi_v3 = {}
        self.v3_index = load("openapi-v3-index")

    # Legacy resource lists: derived from the aggregated documents, which hold every group version.
    def resource_list(self, group, version):
        source = self.aggregated_api if group == "" else self.aggregated_apis
        for item in source["items"]:
            if item["metadata"].get("name", "") != group:
                continue
            for v in item["versions"]:
                if v["version"] == version:
                    return _legacy_list(group, version, v["resources"])
        return None

    def group(self, name):
        for g in self.apis["groups"]:
            if g["name"] == name:
                return dict(g, kind="APIGroup", apiVersion="v1")
        return None

    def openapi_v2(self):
        if self._openapi_v2_bytes is None:
            with gzip.open(os.path.join(FIXTURES, "openapi-v2.json.gz"), "rb") as f:
                self._openapi_v2_bytes = f.read()
        return self._openapi_v2_bytes

    def openapi_v3(self, path):
        """The v3 document for 'api/v1', 'apis/apps/v1' …: captured, else derived from v2."""
        if path not in self.v3_index["paths"]:
            return None
        if path not in self._openapi_v3:
            captured = "openapi-v3-" + path.replace("/", "-")
            if os.path.exists(os.path.join(FIXTURES, captured + ".json.gz")):
                with gzip.open(os.path.join(FIXTURES, captured + ".json.gz"), "rb") as f:
                    self._openapi_v3[path] = f.read()
            else:
                self._openapi_v3[path] = json.dumps(_v3_from_v2(json.loads(self.openapi_v2()), path)).encode()
        return self._openapi_v3[path]


def _legacy_list(group, version, resources):
    out = []
    for r in resources:
        kind = r["responseKind"]["kind"]
        entry = {"name": r["resource"], "singularName": r.get("singularResource", ""),
                 "namespaced": r["scope"] == "Namespaced", "kind": kind, "verbs": r["verbs"]}
        for key in ("shortNames", "categories"):
            if key in r:
                entry[key] = r[key]
        out.append(entry)
        for sub in r.get("subresources", []):
            s = {"name": r["resource"] + "/" + sub["subresource"], "singularName": "",
                 "namespaced": r["scope"] == "Namespaced", "kind": sub["responseKind"]["kind"], "verbs": sub["verbs"]}
            rk = sub["responseKind"]
            if rk.get("group") or rk.get("version"):
                s["group"], s["version"] = rk.get("group", ""), rk.get("version", "")
            out.append(s)
    gv = version if group == "" else group + "/" + version
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": out}


def _v3_from_v2(v2, path):
    """OpenAPI v3 for one group version out of the v2 document: the same schemas (kubectl finds
    them by x-kubernetes-group-version-kind), refs rewritten to components, and the operations
    with their parameters (kubectl looks for `fieldValidation` on the create/patch of a kind)."""
    text = json.dumps(v2["definitions"]).replace('"#/definitions/', '"#/components/schemas/')
    prefix = "/" + path + "/"
    paths = {}
    for p, item in v2["paths"].items():
        if not p.startswith(prefix):
            continue
        shared = [_v3_parameter(v2, x) for x in item.get("parameters", [])]
        out = {"parameters": shared} if shared else {}
        for method, op in item.items():
            if method == "parameters":
                continue
            converted = {k: v for k, v in op.items() if k in ("description", "operationId", "tags") or k.startswith("x-")}
            params = [_v3_parameter(v2, x) for x in op.get("parameters", [])]
            converted["parameters"] = [x for x in params if x.get("in") != "body"]
            converted["responses"] = {"200": {"description": "OK"}}
            out[method] = converted
        paths[p] = out
    return {"openapi": "3.0.0", "info": copy.deepcopy(v2["info"]), "paths": paths,
            "components": {"schemas": json.loads(text)}}


def _v3_parameter(v2, param):
    if "$ref" in param:
        param = v2.get("parameters", {}).get(param["$ref"].split("/")[-1], {})
    out = {k: param[k] for k in ("name", "in", "description", "required") if k in param}
    if "type" in param:
        out["schema"] = {"type": param["type"]} if "uniqueItems" not in param else \
            {"type": param["type"], "uniqueItems": param["uniqueItems"]}
    return out


def group_version_of(api_version):
    if "/" in api_version:
        g, v = api_version.split("/", 1)
        return g, v
    return "", api_version


V3_PATH = re.compile(r"^(api/v1|apis/[a-z0-9.-]+/v[0-9a-z]+|api|apis|apis/[a-z0-9.-]+|version)$")
