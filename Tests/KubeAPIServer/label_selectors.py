"""Label and field selectors, with the syntax and the error texts of the real server."""
import re

from statuses import bad_request

_KEY = re.compile(r"^([a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?/)?[a-zA-Z0-9]([-a-zA-Z0-9_.]*[a-zA-Z0-9])?$")


def _split_terms(text):
    terms, depth, cur = [], 0, ""
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            terms.append(cur.strip())
            cur = ""
        else:
            cur += ch
    if cur.strip():
        terms.append(cur.strip())
    return terms


def parse_labels(text):
    """Returns a predicate over a labels dict; raises 400 on bad syntax."""
    checks = []
    for term in _split_terms(text or ""):
        m = re.match(r"^(\S+)\s+(in|notin)\s+\((.*)\)$", term)
        if m:
            key, op, values = m.group(1), m.group(2), {v.strip() for v in m.group(3).split(",") if v.strip()}
            _check_key(key, text)
            checks.append((lambda k, vs: lambda l: l.get(k) in vs)(key, values) if op == "in"
                          else (lambda k, vs: lambda l: l.get(k) not in vs)(key, values))
            continue
        m = re.match(r"^([^!=\s]+)\s*(==|!=|=)\s*(\S*)$", term)
        if m:
            key, op, value = m.groups()
            _check_key(key, text)
            checks.append((lambda k, v: lambda l: l.get(k) == v)(key, value) if op != "!="
                          else (lambda k, v: lambda l: l.get(k) != v)(key, value))
            continue
        if term.startswith("!"):
            key = term[1:].strip()
            _check_key(key, text)
            checks.append((lambda k: lambda l: k not in l)(key))
            continue
        _check_key(term, text)
        checks.append((lambda k: lambda l: k in l)(term))
    return lambda labels: all(c(labels or {}) for c in checks)


def _check_key(key, text):
    if not _KEY.match(key):
        raise bad_request(f'unable to parse requirement: found \'{key}\', expected: identifier in "{text}"')


def parse_fields(text, supported):
    """Field selectors on dotted paths (metadata.name, status.phase …). `supported` lists the
    fields this resource allows, as the real server refuses others."""
    checks = []
    for term in _split_terms(text or ""):
        m = re.match(r"^([^!=\s]+)\s*(==|!=|=)\s*(.*)$", term)
        if not m:
            raise bad_request(f'invalid selector: \'{text}\'; can\'t understand \'{term}\'')
        path, op, value = m.groups()
        if path not in supported:
            raise bad_request(f"field label not supported: {path}")
        getter = (lambda p: lambda o: _dig(o, p))(path)
        checks.append((lambda g, v: lambda o: g(o) == v)(getter, value) if op != "!="
                      else (lambda g, v: lambda o: g(o) != v)(getter, value))
    return lambda obj: all(c(obj) for c in checks)


def _dig(obj, path):
    cur = obj
    for part in path.split("."):
        if not isinstance(cur, dict):
            return ""
        cur = cur.get(part)
    if cur is None:
        return ""
    return str(cur)


FIELDS = {
    "pods": {"metadata.name", "metadata.namespace", "status.phase", "spec.nodeName", "spec.restartPolicy",
             "spec.schedulerName", "spec.serviceAccountName", "status.podIP", "status.nominatedNodeName"},
    "events": {"metadata.name", "metadata.namespace", "involvedObject.kind", "involvedObject.name",
               "involvedObject.namespace", "involvedObject.uid", "reason", "type", "source"},
    "namespaces": {"metadata.name", "status.phase"},
    "nodes": {"metadata.name", "spec.unschedulable"},
    "replicasets": {"metadata.name", "metadata.namespace", "status.replicas"},
}


def supported_fields(resource_name):
    return FIELDS.get(resource_name, {"metadata.name", "metadata.namespace"})
