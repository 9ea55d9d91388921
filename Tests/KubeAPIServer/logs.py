"""The pod log subresource: tailLines, sinceTime, sinceSeconds, timestamps, follow (chunked
until the pod is gone or the client leaves)."""
import calendar
import time

from statuses import APIError, bad_request


def _since(query):
    if query.get("sinceTime"):
        try:
            return calendar.timegm(time.strptime(query["sinceTime"].replace("Z", "").split(".")[0], "%Y-%m-%dT%H:%M:%S"))
        except ValueError:
            raise bad_request(f'parsing time "{query["sinceTime"]}" as RFC 3339: cannot parse')
    if query.get("sinceSeconds"):
        try:
            return time.time() - int(query["sinceSeconds"])
        except ValueError:
            raise bad_request(f'sinceSeconds: Invalid value: "{query["sinceSeconds"]}": must be an integer')
    return None


def serve(handler, runtime, store, res, pod, query):
    containers = [c["name"] for c in (pod.get("spec") or {}).get("containers") or []]
    name = pod["metadata"]["name"]
    container = query.get("container")
    if not container:
        if len(containers) != 1:
            raise bad_request(f"a container name must be specified for pod {name}, choose one of: [{' '.join(containers)}]")
        container = containers[0]
    elif container not in containers:
        raise bad_request(f"container {container} is not valid for pod {name}")
    tail = query.get("tailLines")
    if tail is not None:
        try:
            tail = int(tail)
        except ValueError:
            raise bad_request(f'tailLines: Invalid value: "{tail}": must be an integer')
    since = _since(query)
    timestamps = query.get("timestamps") in ("true", "1")
    follow = query.get("follow") in ("true", "1")
    if not runtime.has_started(pod, container):
        waiting = runtime.waiting_reason(pod, container) or "ContainerCreating"
        raise APIError(400, "BadRequest",
                       f'container "{container}" in pod "{name}" is waiting to start: {waiting}')
    uid = pod["metadata"]["uid"]

    def alive():
        p = store.find(res, pod["metadata"]["namespace"], name)
        return p is not None and p["metadata"]["uid"] == uid

    lines = runtime.logs(pod, container, since, tail, timestamps, follow, alive)
    if not follow:
        data = b"".join(lines)
        return handler._bytes(200, data, "text/plain")
    handler.start_chunked(200, "text/plain")
    for line in lines:
        handler.write_chunk(line)
    handler.end_chunked()
