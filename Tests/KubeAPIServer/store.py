"""The object store: one resourceVersion counter for everything (as etcd's revision), a bounded
history of changes for watches, and a condition that wakes watchers."""
import copy
import threading
import time
import uuid

from statuses import already_exists, expired, not_found

HISTORY = 5000  # events kept for watches; older resourceVersions answer 410 Expired


def now():
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


class Store:
    def __init__(self):
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)
        # Start past 0 so that a client's "resourceVersion=1" is too old, as on a cluster that has run.
        self.revision = 100
        self.compacted = self.revision
        self.objects = {}  # (group, resource) -> {(namespace, name): object}
        self.history = []  # (revision, group, resource, type, object)
        self.listeners = []  # callables(type, res, obj), called under the lock (the controller)

    def _bump(self):
        self.revision += 1
        return str(self.revision)

    def _record(self, res, kind, obj):
        self.history.append((self.revision, res.group, res.name, kind, copy.deepcopy(obj)))
        if len(self.history) > HISTORY:
            drop = len(self.history) - HISTORY
            self.compacted = self.history[drop - 1][0]
            del self.history[:drop]
        for listener in self.listeners:
            listener(kind, res, obj)
        self.changed.notify_all()

    def _table(self, res):
        return self.objects.setdefault((res.group, res.name), {})

    def get(self, res, namespace, name):
        with self.lock:
            obj = self._table(res).get((namespace or "", name))
            if obj is None:
                raise not_found(res, name)
            return copy.deepcopy(obj)

    def find(self, res, namespace, name):
        with self.lock:
            obj = self._table(res).get((namespace or "", name))
            return copy.deepcopy(obj) if obj is not None else None

    def list(self, res, namespace=None, predicate=None):
        with self.lock:
            items = [copy.deepcopy(o) for (ns, _), o in sorted(self._table(res).items())
                     if (namespace is None or ns == namespace) and (predicate is None or predicate(o))]
            return items, str(self.revision)

    def create(self, res, obj):
        """obj is complete but for the server-owned metadata set here."""
        with self.lock:
            meta = obj["metadata"]
            key = (meta.get("namespace", ""), meta["name"])
            table = self._table(res)
            if key in table:
                raise already_exists(res, meta["name"])
            meta["uid"] = str(uuid.uuid4())
            meta["resourceVersion"] = self._bump()
            meta["creationTimestamp"] = now()
            table[key] = copy.deepcopy(obj)
            self._record(res, "ADDED", obj)
            return copy.deepcopy(obj)

    def replace(self, res, obj):
        """Writes a changed object (callers checked preconditions); no-op writes keep the version."""
        with self.lock:
            meta = obj["metadata"]
            key = (meta.get("namespace", ""), meta["name"])
            table = self._table(res)
            old = table.get(key)
            if old is None:
                raise not_found(res, meta["name"])
            meta["resourceVersion"] = old["metadata"]["resourceVersion"]
            if obj == old:
                return copy.deepcopy(old)
            meta["resourceVersion"] = self._bump()
            table[key] = copy.deepcopy(obj)
            self._record(res, "MODIFIED", obj)
            return copy.deepcopy(obj)

    def remove(self, res, namespace, name):
        with self.lock:
            table = self._table(res)
            obj = table.pop((namespace or "", name), None)
            if obj is None:
                raise not_found(res, name)
            obj["metadata"]["resourceVersion"] = self._bump()
            self._record(res, "DELETED", obj)
            return copy.deepcopy(obj)

    def everything(self):
        """[(group, resource, object)] for the garbage collector."""
        with self.lock:
            return [(g, r, o) for (g, r), t in self.objects.items() for o in t.values()]

    def events_since(self, res, since):
        """History events of `res` after revision `since`; 410 when it was compacted away."""
        with self.lock:
            if since < self.compacted:
                raise expired(since, self.compacted + 1)
            return [(rev, kind, copy.deepcopy(obj)) for rev, g, r, kind, obj in self.history
                    if rev > since and g == res.group and r == res.name]
