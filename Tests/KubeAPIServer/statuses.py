"""Status bodies worded as the real kube-apiserver words them (compare responses.json)."""


class APIError(Exception):
    """Raised anywhere in request handling; the handler answers with its Status."""

    def __init__(self, code, reason, message, details=None):
        super().__init__(message)
        self.code, self.reason, self.message, self.details = code, reason, message, details

    def status(self):
        body = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                "message": self.message, "reason": self.reason}
        if self.details is not None:
            body["details"] = self.details
        body["code"] = self.code
        return body


def _details(res, name):
    d = {}
    if name:
        d["name"] = name
    if res.group:
        d["group"] = res.group
    d["kind"] = res.name
    return d


def not_found(res, name):
    return APIError(404, "NotFound", f'{res.qualified} "{name}" not found', _details(res, name))


def already_exists(res, name):
    return APIError(409, "AlreadyExists", f'{res.qualified} "{name}" already exists', _details(res, name))


def conflict(res, name):
    return APIError(409, "Conflict", f'Operation cannot be fulfilled on {res.qualified} "{name}": the object has been '
                    "modified; please apply your changes to the latest version and try again", _details(res, name))


def invalid(kind, name, causes, group=""):
    """causes: [(field, message)] with message like 'Invalid value: 70000: must be …'."""
    text = "; ".join(f"{f}: {m}" for f, m in causes)
    summary = text if len(causes) == 1 else f"[{text}]"
    details = {"name": name}
    if group:
        details["group"] = group
    details["kind"] = kind
    details["causes"] = [{"reason": _cause_reason(m), "message": m, "field": f} for f, m in causes]
    return APIError(422, "Invalid", f'{kind} "{name}" is invalid: {summary}', details)


def _cause_reason(message):
    if message.startswith("Required value"):
        return "FieldValueRequired"
    if message.startswith("Unsupported value"):
        return "FieldValueNotSupported"
    if message.startswith("Forbidden"):
        return "FieldValueForbidden"
    if message.startswith("Duplicate value"):
        return "FieldValueDuplicate"
    return "FieldValueInvalid"


def bad_request(message):
    return APIError(400, "BadRequest", message)


def unauthorized():
    return APIError(401, "Unauthorized", "Unauthorized")


def forbidden(user, verb, res, subresource, namespace, name):
    resource = res.name + ("/" + subresource if subresource else "")
    who = f'{res.qualified} "{name}"' if name else res.qualified
    where = f'in the namespace "{namespace}"' if namespace else "at the cluster scope"
    message = (f'{who} is forbidden: User "{user}" cannot {verb} resource "{resource}" '
               f'in API group "{res.group}" {where}')
    return APIError(403, "Forbidden", message, _details(res, name))


def forbidden_path(user, verb, path):
    return APIError(403, "Forbidden", f'forbidden: User "{user}" cannot {verb} path "{path}"', {})


def method_not_allowed():
    return APIError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource", {})


def unsupported_media_type():
    return APIError(415, "UnsupportedMediaType", "415: Unsupported Media Type", {})


def expired(requested, oldest):
    return APIError(410, "Expired", f"too old resource version: {requested} ({oldest})")


def success(res, name, uid):
    d = _details(res, name)
    d["uid"] = uid
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "details": d}
