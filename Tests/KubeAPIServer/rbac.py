"""RBAC as the real authorizer decides it: system:masters may do anything; others get the union
of the rules of the (Cluster)Roles bound to them, read from the store at each request, so what was
applied counts at once."""
from statuses import forbidden


class Authorizer:
    def __init__(self, store, registry):
        self.store = store
        self.roles = registry.lookup("rbac.authorization.k8s.io", "v1", "roles")
        self.cluster_roles = registry.lookup("rbac.authorization.k8s.io", "v1", "clusterroles")
        self.bindings = registry.lookup("rbac.authorization.k8s.io", "v1", "rolebindings")
        self.cluster_bindings = registry.lookup("rbac.authorization.k8s.io", "v1", "clusterrolebindings")

    def check(self, user, verb, res, subresource, namespace, name):
        if "system:masters" in user.groups:
            return
        resource = res.name + ("/" + subresource if subresource else "")
        for rule in self._rules(user, namespace):
            if _matches(rule, verb, res.group, resource, name):
                return
        raise forbidden(user.name, verb, res, subresource, namespace, name)

    def _rules(self, user, namespace):
        bound, _ = self.store.list(self.cluster_bindings)
        for b in bound:
            if _subject_matches(b, user):
                yield from self._role_rules(b.get("roleRef") or {}, None)
        if namespace:
            bound, _ = self.store.list(self.bindings, namespace)
            for b in bound:
                if _subject_matches(b, user):
                    yield from self._role_rules(b.get("roleRef") or {}, namespace)

    def _role_rules(self, ref, namespace):
        if ref.get("kind") == "ClusterRole":
            role = self.store.find(self.cluster_roles, "", ref.get("name", ""))
        elif ref.get("kind") == "Role" and namespace:
            role = self.store.find(self.roles, namespace, ref.get("name", ""))
        else:
            role = None
        return (role or {}).get("rules") or []


def _subject_matches(binding, user):
    for s in binding.get("subjects") or []:
        kind, name = s.get("kind"), s.get("name")
        if kind == "User" and name == user.name:
            return True
        if kind == "Group" and name in user.groups:
            return True
        if kind == "ServiceAccount" and user.name == f"system:serviceaccount:{s.get('namespace', '')}:{name}":
            return True
    return False


def _matches(rule, verb, group, resource, name):
    def has(key, value):
        values = rule.get(key) or []
        return "*" in values or value in values
    if not has("verbs", verb) or not has("apiGroups", group):
        return False
    resources = rule.get("resources") or []
    base = resource.split("/")[0]
    if not ("*" in resources or resource in resources or (resource != base and base + "/*" in resources)):
        return False
    names = rule.get("resourceNames") or []
    return not names or (name in names)
