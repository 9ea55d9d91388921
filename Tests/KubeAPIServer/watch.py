"""Watch streams: an initial ADDED per object when no resourceVersion (or "0") is given, then the
store's history after that version; selectors applied to each object, an object leaving the
selector sends DELETED; BOOKMARKs when asked; 410 Expired as an ERROR event, as the real server."""
import time

import label_selectors as selectors
from statuses import APIError

BOOKMARK_INTERVAL = 5.0


def _bookmark(res, revision):
    obj = {"kind": res.kind, "apiVersion": res.api_version,
           "metadata": {"resourceVersion": str(revision), "creationTimestamp": None}}
    if res.kind == "Pod":
        obj["spec"], obj["status"] = {"containers": None}, {}
    return {"type": "BOOKMARK", "object": obj}


def stream(store, t, query, send, begin):
    """send(event_dict) writes one line; raises when the client went away. begin() sends the
    headers once the request is known to be valid, so a client sees the watch open at once."""
    labels = selectors.parse_labels(query.get("labelSelector", ""))
    fields = selectors.parse_fields(query.get("fieldSelector", ""), selectors.supported_fields(t.res.name))
    if t.name:  # a watch on one object: kubectl's `get NAME -w` sends a fieldSelector, this is the old form
        name = t.name
        fields = (lambda f: lambda o: f(o) and o["metadata"]["name"] == name)(fields)
    namespace = t.namespace if t.res.namespaced else ""

    def matches(obj):
        meta = obj.get("metadata") or {}
        return (not namespace or meta.get("namespace") == namespace) and labels(meta.get("labels")) and fields(obj)

    def shaped(obj):
        obj = dict(obj)
        obj["kind"], obj["apiVersion"] = t.res.kind, t.res.api_version
        return obj

    timeout = float(query.get("timeoutSeconds") or 1800)
    deadline = time.monotonic() + timeout
    bookmarks = query.get("allowWatchBookmarks") in ("true", "1")
    rv = query.get("resourceVersion", "")
    if rv not in ("", "0") and not rv.isdigit():
        raise APIError(400, "BadRequest", f'invalid resource version "{rv}"')
    begin()
    inside = set()  # uids currently matching, so a change that leaves the selector is a DELETED
    with store.lock:
        if rv in ("", "0"):
            items, current = store.list(t.res, namespace or None, matches)
            since = int(current)
            initial = items
        else:
            since = int(rv)
            initial = []
            try:
                store.events_since(t.res, since)
            except APIError as e:
                send({"type": "ERROR", "object": e.status()})
                return
    for obj in initial:
        inside.add(obj["metadata"]["uid"])
        send({"type": "ADDED", "object": shaped(obj)})
    next_bookmark = time.monotonic() + BOOKMARK_INTERVAL
    while True:
        with store.lock:
            try:
                events = store.events_since(t.res, since)
            except APIError as e:
                send({"type": "ERROR", "object": e.status()})
                return
            if not events:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                store.changed.wait(min(left, max(0.05, next_bookmark - time.monotonic()) if bookmarks else left))
                events = store.events_since(t.res, since)
            revision = store.revision
        for rev, kind, obj in events:
            since = rev
            uid = obj["metadata"]["uid"]
            now_in = matches(obj)
            if kind == "DELETED":
                if uid in inside or now_in:
                    inside.discard(uid)
                    send({"type": "DELETED", "object": shaped(obj)})
            elif now_in:
                send({"type": "ADDED" if uid not in inside else kind, "object": shaped(obj)})
                inside.add(uid)
            elif uid in inside:
                inside.discard(uid)
                send({"type": "DELETED", "object": shaped(obj)})
        if bookmarks and time.monotonic() >= next_bookmark:
            send(_bookmark(t.res, max(since, revision)))
            next_bookmark = time.monotonic() + BOOKMARK_INTERVAL
        if time.monotonic() >= deadline:
            break
    if bookmarks:
        send(_bookmark(t.res, store.revision))
