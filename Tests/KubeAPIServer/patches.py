"""The three patch types a client may send (json-patch, merge-patch, strategic-merge-patch);
anything else is 415 as on the real server."""
import copy

from statuses import APIError, bad_request, unsupported_media_type

MERGE = "application/merge-patch+json"
STRATEGIC = "application/strategic-merge-patch+json"
JSON_PATCH = "application/json-patch+json"

# Lists merged by a key in strategic merge patch (the subset the driver and kubectl apply touch).
_MERGE_KEYS = {"containers": "name", "initContainers": "name", "ports": "containerPort", "env": "name",
               "volumeMounts": "mountPath", "volumes": "name", "imagePullSecrets": "name"}


def apply(content_type, target, patch):
    kind = (content_type or "").split(";")[0].strip()
    if kind == MERGE:
        return _merge(copy.deepcopy(target), patch)
    if kind == STRATEGIC:
        return _strategic(copy.deepcopy(target), patch)
    if kind == JSON_PATCH:
        return _json_patch(copy.deepcopy(target), patch)
    raise unsupported_media_type()


def _merge(target, patch):
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    if not isinstance(target, dict):
        target = {}
    for k, v in patch.items():
        if v is None:
            target.pop(k, None)
        else:
            target[k] = _merge(target.get(k), v)
    return target


def _strategic(target, patch, key=None):
    if isinstance(patch, list) and isinstance(target, list) and key in _MERGE_KEYS:
        merge_key = _MERGE_KEYS[key]
        if key == "ports" and patch and isinstance(patch[0], dict) and "containerPort" not in patch[0]:
            merge_key = "port"  # a Service's ports, not a container's
        out = [copy.deepcopy(t) for t in target]
        for item in patch:
            if not isinstance(item, dict):
                return copy.deepcopy(patch)
            match = next((o for o in out if isinstance(o, dict) and o.get(merge_key) == item.get(merge_key)), None)
            if item.get("$patch") == "delete":
                out = [o for o in out if o is not match]
            elif match is None:
                out.append({k: v for k, v in item.items() if not k.startswith("$")})
            else:
                out[out.index(match)] = _strategic(match, item)
        return out
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    if not isinstance(target, dict):
        target = {}
    for k, v in patch.items():
        if k.startswith("$"):
            continue
        if v is None:
            target.pop(k, None)
        else:
            target[k] = _strategic(target.get(k), v, k)
    return target


def _json_patch(target, ops):
    if not isinstance(ops, list):
        raise bad_request("the body of a json-patch must be a list of operations")
    for op in ops:
        path = [p.replace("~1", "/").replace("~0", "~") for p in (op.get("path") or "").split("/")[1:]]
        if not path:
            raise bad_request(f"json-patch operation without a path: {op}")
        parent = target
        for p in path[:-1]:
            parent = parent[int(p)] if isinstance(parent, list) else parent.setdefault(p, {})
        last = path[-1]
        verb = op.get("op")
        try:
            if verb in ("add", "replace"):
                if isinstance(parent, list):
                    i = len(parent) if last == "-" else int(last)
                    parent[i:i + (verb == "replace")] = [op.get("value")]
                else:
                    parent[last] = op.get("value")
            elif verb == "remove":
                if isinstance(parent, list):
                    del parent[int(last)]
                else:
                    del parent[last]
            elif verb == "test":
                have = parent[int(last)] if isinstance(parent, list) else parent.get(last)
                if have != op.get("value"):
                    raise APIError(422, "Invalid", f"the server rejected our request due to an error in our request: "
                                   f"testing value {op.get('path')} failed")
            else:
                raise bad_request(f'unsupported json-patch operation "{verb}"')
        except (KeyError, IndexError, ValueError):
            raise APIError(422, "Invalid", f"the server rejected our request due to an error in our request: "
                           f"doc is missing path: \"{op.get('path')}\"")
    return target
