"""Who runs a pod's containers: Docker when DOCKER_HOST is a unix socket (docker_runtime.py),
else a simulation that makes each container Running and Ready at once with podIP 127.0.0.1."""
import os
import threading
import time


def choose(args):
    host = os.environ.get("DOCKER_HOST", "")
    if host.startswith("unix://") and not args.no_docker:
        from docker_runtime import DockerRuntime
        return DockerRuntime(host[len("unix://"):])
    return SimulatedRuntime()


def stamp(t=None):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t if t is not None else time.time()))


def render_logs(entries, since, tail, timestamps):
    """entries: [(unix time, bytes line)] → the selected lines, as the kubelet selects them."""
    chosen = [(t, line) for t, line in entries if since is None or t >= since]
    if tail is not None:
        chosen = chosen[-tail:] if tail > 0 else []
    out = []
    for t, line in chosen:
        prefix = (time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%09dZ " % int((t % 1) * 1e9)).encode() \
            if timestamps else b""
        out.append(prefix + line)
    return out


class SimulatedRuntime:
    name = "simulated"

    def __init__(self):
        self._lock = threading.Lock()
        self._pods = {}  # uid -> {"started": t, "logs": {container: [(t, line)]}}

    def start(self, pod):
        uid = pod["metadata"]["uid"]
        with self._lock:
            if uid in self._pods:
                return
            t = time.time()
            logs = {c["name"]: [(t, f"simulated container {c['name']} of pod {pod['metadata']['name']} started "
                                    f"(image {c.get('image')}); no DOCKER_HOST, so nothing runs\n".encode())]
                    for c in pod["spec"].get("containers") or []}
            self._pods[uid] = {"started": t, "logs": logs}

    def stop(self, pod):
        with self._lock:
            self._pods.pop(pod["metadata"]["uid"], None)

    def status(self, pod):
        """(podIP or None, {container: containerStatus}) for the controller to write."""
        uid = pod["metadata"]["uid"]
        with self._lock:
            p = self._pods.get(uid)
        if p is None:
            return None, {}
        out = {}
        for c in pod["spec"].get("containers") or []:
            out[c["name"]] = {"name": c["name"], "state": {"running": {"startedAt": stamp(p["started"])}},
                              "lastState": {}, "ready": True, "restartCount": 0, "image": c.get("image"),
                              "imageID": "sim://" + (c.get("image") or ""),
                              "containerID": f"sim://{uid}/{c['name']}", "started": True}
        return "127.0.0.1", out

    def has_started(self, pod, container):
        with self._lock:
            return pod["metadata"]["uid"] in self._pods

    def waiting_reason(self, pod, container):
        return None

    def logs(self, pod, container, since, tail, timestamps, follow, alive):
        uid = pod["metadata"]["uid"]
        with self._lock:
            entries = list((self._pods.get(uid) or {}).get("logs", {}).get(container, []))
        yield from render_logs(entries, since, tail, timestamps)
        while follow and alive():
            time.sleep(0.2)  # a simulated container writes nothing more; follow ends with the pod

    def usage(self, pod):
        """{container: (cores, bytes)}: a simulated container runs nothing, so uses nothing."""
        with self._lock:
            known = pod["metadata"]["uid"] in self._pods
        return {c["name"]: (0.0, 0.0) for c in pod["spec"].get("containers") or []} if known else {}

    def sync(self):
        pass

    def shutdown(self):
        pass
