"""Decoding as the real server does it: a field of the wrong JSON type is a 400, and with
fieldValidation=Strict (kubectl's default) an unknown field is too. Types come from the golden
OpenAPI v2 definitions, looked up by group/version/kind."""
import json

from statuses import bad_request

_INT_OR_STRING = "io.k8s.apimachinery.pkg.util.intstr.IntOrString"
_QUANTITY = "io.k8s.apimachinery.pkg.api.resource.Quantity"
_ANY = {"io.k8s.apimachinery.pkg.runtime.RawExtension", "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSON"}


class Schemas:
    def __init__(self, openapi_v2_bytes):
        self.defs = json.loads(openapi_v2_bytes)["definitions"]
        self.by_gvk = {}
        for name, d in self.defs.items():
            for gvk in d.get("x-kubernetes-group-version-kind", []):
                self.by_gvk[(gvk["group"], gvk["version"], gvk["kind"])] = name

    def check(self, group, version, kind, obj, strict):
        name = self.by_gvk.get((group, version, kind))
        if name is None:
            return
        unknown = []
        self._walk(name, obj, "", kind, version, unknown)
        if strict and unknown:
            raise bad_request("strict decoding error: " + ", ".join(f'unknown field "{u}"' for u in unknown))

    def _walk(self, defname, value, path, kind, version, unknown):
        if defname in _ANY:
            return
        if defname == _INT_OR_STRING:
            if not isinstance(value, (int, str)) or isinstance(value, bool):
                self._fail(kind, version, path, value, "intstr.IntOrString")
            return
        if defname == _QUANTITY:
            if not isinstance(value, (int, float, str)) or isinstance(value, bool):
                self._fail(kind, version, path, value, "resource.Quantity")
            return
        self._walk_schema(self.defs.get(defname, {}), value, path, kind, version, unknown)

    def _walk_schema(self, schema, value, path, kind, version, unknown):
        if value is None:
            return  # null is "unset" for every field
        if "$ref" in schema:
            return self._walk(schema["$ref"].split("/")[-1], value, path, kind, version, unknown)
        t = schema.get("type")
        if t == "object" or "properties" in schema:
            if not isinstance(value, dict):
                return self._fail(kind, version, path, value, "object")
            props = schema.get("properties")
            extra = schema.get("additionalProperties")
            for k, v in value.items():
                sub = path + "." + k if path else k
                if props is not None and k in props:
                    self._walk_schema(props[k], v, sub, kind, version, unknown)
                elif extra is not None:
                    self._walk_schema(extra if isinstance(extra, dict) else {}, v, sub, kind, version, unknown)
                elif props is not None and k not in ("apiVersion", "kind"):
                    unknown.append(sub)
        elif t == "array":
            if not isinstance(value, list):
                return self._fail(kind, version, path, value, "array")
            for i, v in enumerate(value):
                self._walk_schema(schema.get("items", {}), v, f"{path}[{i}]", kind, version, unknown)
        elif t == "string":
            if not isinstance(value, str):
                self._fail(kind, version, path, value, "string")
        elif t == "integer":
            if isinstance(value, bool) or not (isinstance(value, int) or (isinstance(value, float) and value.is_integer())):
                self._fail(kind, version, path, value, schema.get("format", "int64"))
        elif t == "number":
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                self._fail(kind, version, path, value, "float64")
        elif t == "boolean":
            if not isinstance(value, bool):
                self._fail(kind, version, path, value, "bool")

    @staticmethod
    def _fail(kind, version, path, value, wanted):
        got = {str: "string", bool: "bool", list: "array", dict: "object"}.get(type(value), "number")
        raise bad_request(f'{kind} in version "{version}" cannot be handled as a {kind}: json: cannot unmarshal '
                          f"{got} into Go struct field {path} of type {wanted}")
