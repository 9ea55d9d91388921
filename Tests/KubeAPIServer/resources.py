"""What resources exist, from the aggregated discovery documents: kind, scope, verbs, subresources."""
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Resource:
    group: str
    version: str
    name: str  # plural, e.g. "deployments"
    kind: str
    namespaced: bool
    verbs: tuple
    subresources: dict = field(default_factory=dict, hash=False, compare=False)  # name -> kind

    @property
    def api_version(self):
        return self.version if self.group == "" else self.group + "/" + self.version

    @property
    def qualified(self):
        """How Status messages name it: "pods", "deployments.apps"."""
        return self.name if self.group == "" else self.name + "." + self.group


class Registry:
    def __init__(self, golden):
        self._by_path = {}
        self._by_kind = {}
        for doc in (golden.aggregated_api, golden.aggregated_apis):
            for item in doc["items"]:
                group = item["metadata"].get("name", "")
                for v in item["versions"]:
                    for r in v["resources"]:
                        res = Resource(group, v["version"], r["resource"], r["responseKind"]["kind"],
                                       r["scope"] == "Namespaced", tuple(r["verbs"]),
                                       {s["subresource"]: s["responseKind"]["kind"] for s in r.get("subresources", [])})
                        self._by_path[(group, v["version"], r["resource"])] = res
                        self._by_kind.setdefault((group, r["responseKind"]["kind"]), res)

    def lookup(self, group, version, name):
        return self._by_path.get((group, version, name))

    def by_kind(self, group, kind):
        return self._by_kind.get((group, kind))

    def all(self):
        return list(self._by_path.values())
