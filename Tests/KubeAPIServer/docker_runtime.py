"""Pods as Docker containers: the pod IP is the first container's bridge address (the others
share its network, as in a pod), logs are the containers' own, and the kubelet's reasons are
reported: ErrImagePull / ImagePullBackOff, CrashLoopBackOff with the last exit, OOMKilled.

Restarts follow the kubelet's back-off (pkg/kubelet/kuberuntime doBackOff): a container that
exits is shown terminated, then restarted at once the first time; from the second exit on it
waits in CrashLoopBackOff for 10 s, 20 s, 40 s … 5 min, with the kubelet's message. A
tcpSocket readiness probe is run as the kubelet's prober does (every periodSeconds, Ready after
successThreshold successes, unready after failureThreshold failures); without one a running
container is Ready."""
import calendar
import socket
import threading
import time
import uuid

import quantities
from docker_engine import Engine, EngineError
from runtimes import stamp

LABEL = "io.streamspace.test-kube-apiserver"
PULL_BACKOFF = 10.0
CRASH_BACKOFF = (10.0, 20.0, 40.0, 80.0, 160.0, 300.0)
FIRST_RESTART = 1.0  # the kubelet's next relist: an exit is seen terminated before the restart


def _go_duration(seconds):
    """time.Duration's String() for whole seconds: 10s, 1m20s, 5m0s."""
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes}m{rest}s" if minutes else f"{rest}s"


def _tcp_probe(spec):
    """The container's readiness probe when it is a tcpSocket one (the only kind run here):
    (port, period, success threshold, failure threshold), else None. A named port is looked up
    in the container's ports."""
    probe = spec.get("readinessProbe") or {}
    port = (probe.get("tcpSocket") or {}).get("port")
    if isinstance(port, str):
        port = next((p.get("containerPort") for p in spec.get("ports") or [] if p.get("name") == port), None)
    if not isinstance(port, int):
        return None
    return (port, float(probe.get("periodSeconds", 10)), int(probe.get("successThreshold", 1)),
            int(probe.get("failureThreshold", 3)))


def _docker_time(text):
    if not text or text.startswith("0001-"):
        return None
    seconds = text.split(".")[0].rstrip("Z")
    frac = text.split(".")[1].rstrip("Z") if "." in text else "0"
    return calendar.timegm(time.strptime(seconds, "%Y-%m-%dT%H:%M:%S")) + float("0." + frac)


class _Container:
    def __init__(self, spec):
        self.spec = spec
        self.id = None
        self.waiting = ("ContainerCreating", None)  # (reason, message) while not running
        self.running_since = None
        self.last_terminated = None
        self.prior_terminated = None  # the exit before last_terminated: lastState while terminated
        self.restarts = 0
        self.next_restart = None
        self.ip = None
        self.needs_look = False  # restarted by us: the next listing may hide a new exit
        self.cpu_sample = None  # (monotonic time, cumulative nanoseconds) of the last stats
        self.probe_ready = False  # the readiness probe's verdict (no probe: running is ready)
        self.probe_streak = 0  # consecutive results of the same kind as the last one (+ ok, - failed)
        self.next_probe = 0.0


class DockerRuntime:
    name = "docker"

    def __init__(self, socket_path):
        self.engine = Engine(socket_path)
        if not self.engine.ping():
            raise SystemExit(f"DOCKER_HOST unix://{socket_path} does not answer /_ping")
        self.instance = uuid.uuid4().hex[:12]
        self._lock = threading.Lock()
        self._pods = {}  # uid -> {"pod": pod, "containers": {name: _Container}, "stopped": bool}
        self.notify = lambda: None  # the controller's wake-up: a started container shows at once

    # ---- lifecycle ----
    def start(self, pod):
        uid = pod["metadata"]["uid"]
        with self._lock:
            if uid in self._pods:
                return
            entry = {"pod": pod, "containers": {c["name"]: _Container(c) for c in pod["spec"]["containers"]},
                     "stopped": False}
            self._pods[uid] = entry
        threading.Thread(target=self._run_pod, args=(entry,), name=f"pod-{pod['metadata']['name']}", daemon=True).start()

    def _run_pod(self, entry):
        pod = entry["pod"]
        first = None
        for name, c in entry["containers"].items():
            while not entry["stopped"] and not self._ensure_image(c):
                time.sleep(PULL_BACKOFF / 2)
                with self._lock:
                    c.waiting = ("ImagePullBackOff", f'Back-off pulling image "{c.spec.get("image")}"')
                time.sleep(PULL_BACKOFF / 2)
            if entry["stopped"]:
                return
            try:
                cid = self.engine.create(self._container_name(pod, name), self._config(pod, c.spec, first))
                with self._lock:
                    c.id = cid
                if entry["stopped"]:
                    self.engine.remove(cid)
                    return
                self.engine.start(cid)
                first = first or cid
                self.notify()
            except EngineError as e:
                with self._lock:
                    c.waiting = ("CreateContainerError", e.message)
                return

    def _ensure_image(self, c):
        image = c.spec.get("image") or ""
        policy = c.spec.get("imagePullPolicy", "IfNotPresent")
        try:
            if policy == "Never":
                if self.engine.image_exists(image):
                    return True
                with self._lock:
                    c.waiting = ("ErrImageNeverPull", f'Container image "{image}" is not present with pull policy of Never')
                return False
            if policy == "IfNotPresent" and self.engine.image_exists(image):
                return True
            self.engine.pull(image)
            return True
        except EngineError as e:
            with self._lock:
                c.waiting = ("ErrImagePull", f'failed to pull and unpack image "{image}": {e.message}')
            return False

    @staticmethod
    def _container_name(pod, name):
        meta = pod["metadata"]
        return f"k8s_{name}_{meta['name']}_{meta['namespace']}_{meta['uid'][:8]}"

    def _config(self, pod, spec, network_of):
        env = [f"{e['name']}={e.get('value', '')}" for e in spec.get("env") or [] if "name" in e]
        limits = (spec.get("resources") or {}).get("limits") or {}
        host = {"RestartPolicy": {"Name": "no"}}
        if "memory" in limits:
            host["Memory"] = int(quantities.parse(limits["memory"]) or 0)
            host["MemorySwap"] = host["Memory"]  # the kubelet's default: no swap beyond the limit
        if "cpu" in limits:
            host["NanoCpus"] = int((quantities.parse(limits["cpu"]) or 0) * 1e9)
        if network_of:
            host["NetworkMode"] = f"container:{network_of}"
        config = {"Image": spec.get("image"), "Env": env, "Hostname": pod["metadata"]["name"][:63],
                  "Labels": {LABEL: self.instance, "io.kubernetes.pod.uid": pod["metadata"]["uid"],
                             "io.kubernetes.pod.name": pod["metadata"]["name"],
                             "io.kubernetes.pod.namespace": pod["metadata"]["namespace"],
                             "io.kubernetes.container.name": spec["name"]},
                  "HostConfig": host}
        if network_of:
            config.pop("Hostname")
        if spec.get("command"):
            config["Entrypoint"] = spec["command"]
        if spec.get("args"):
            config["Cmd"] = spec["args"]
        if spec.get("workingDir"):
            config["WorkingDir"] = spec["workingDir"]
        return config

    def stop(self, pod):
        with self._lock:
            entry = self._pods.pop(pod["metadata"]["uid"], None)
        if entry is None:
            return
        entry["stopped"] = True
        ids = [c.id for c in entry["containers"].values() if c.id]

        def remove():
            for cid in reversed(ids):  # the network owner goes last
                try:
                    self.engine.remove(cid)
                except (EngineError, OSError):
                    pass
        threading.Thread(target=remove, daemon=True).start()

    def forget_except(self, live_uids):
        with self._lock:
            gone = [e["pod"] for uid, e in self._pods.items() if uid not in live_uids]
        for pod in gone:
            self.stop(pod)

    # ---- state, polled by the controller's tick ----
    def sync(self):
        with self._lock:
            entries = list(self._pods.values())
        if not entries:
            return
        try:  # one listing a tick; a container is inspected only when its state may have changed
            states = {x["Id"]: x.get("State") for x in self.engine.containers(f"{LABEL}={self.instance}")}
        except (EngineError, OSError):
            return
        for entry in entries:
            restart_policy = entry["pod"]["spec"].get("restartPolicy", "Always")
            for c in entry["containers"].values():
                if c.id is None:
                    continue
                listed = states.get(c.id)
                with self._lock:
                    running_known = listed == "running" and c.running_since is not None
                    exit_known = listed == "exited" and c.running_since is None and c.last_terminated is not None \
                        and (c.next_restart is None or time.time() < c.next_restart)
                    settled = not c.needs_look and (running_known or exit_known)
                if settled:
                    continue
                try:
                    info = self.engine.inspect(c.id)
                except (EngineError, OSError):
                    continue
                state = info.get("State") or {}
                with self._lock:
                    c.needs_look = False
                    if not c.ip:
                        c.ip = (info.get("NetworkSettings") or {}).get("IPAddress") or None
                    if state.get("Running"):
                        c.running_since = _docker_time(state.get("StartedAt")) or time.time()
                        c.waiting = None
                        continue
                    # Docker's zero time ("0001-01-01T00:00:00Z") means it never finished.
                    never_finished = (state.get("FinishedAt") or "0001-01-01").startswith("0001-01-01")
                    if c.running_since is None and c.last_terminated is None and never_finished:
                        continue  # created, not started yet
                    finished = _docker_time(state.get("FinishedAt"))
                    if c.running_since is not None or c.last_terminated is None or \
                            c.last_terminated["finishedAt"] != stamp(finished):
                        code = state.get("ExitCode", 0)
                        reason = "OOMKilled" if state.get("OOMKilled") else ("Completed" if code == 0 else "Error")
                        c.prior_terminated = c.last_terminated
                        c.last_terminated = {"exitCode": code, "reason": reason,
                                             "startedAt": stamp(_docker_time(state.get("StartedAt")) or time.time()),
                                             "finishedAt": stamp(finished or time.time()),
                                             "containerID": "docker://" + c.id}
                        c.running_since = None
                        c.probe_ready, c.probe_streak = False, 0
                        if restart_policy == "Always" or (restart_policy == "OnFailure" and code != 0):
                            if c.restarts == 0:  # no back-off yet: restarted at the next sync
                                c.next_restart, c.waiting = time.time() + FIRST_RESTART, "exited"
                            else:
                                delay = CRASH_BACKOFF[min(c.restarts - 1, len(CRASH_BACKOFF) - 1)]
                                c.next_restart = time.time() + delay
                                meta = entry["pod"]["metadata"]
                                c.waiting = ("CrashLoopBackOff", f"back-off {_go_duration(delay)} restarting failed "
                                             f"container={c.spec['name']} pod={meta['name']}_{meta['namespace']}({meta['uid']})")
                        else:
                            c.next_restart, c.waiting = None, "terminated"
                    restart = c.next_restart is not None and time.time() >= c.next_restart
                    if restart:
                        c.next_restart = None
                        c.restarts += 1
                        c.needs_look = True
                if restart:
                    try:
                        self.engine.start(c.id)
                    except (EngineError, OSError):
                        pass
        self._probe(entries)

    def _probe(self, entries):
        """Runs the readiness probes that are due: a TCP connect to the pod IP, 1 s timeout."""
        for entry in entries:
            with self._lock:
                ip = next((c.ip for c in entry["containers"].values() if c.ip), None)
                due = [(c, _tcp_probe(c.spec)) for c in entry["containers"].values()
                       if c.running_since is not None and time.time() >= c.next_probe]
            for c, probe in due:
                if probe is None or ip is None:
                    continue
                port, period, successes, failures = probe
                try:
                    socket.create_connection((ip, port), timeout=1).close()
                    ok = True
                except OSError:
                    ok = False
                with self._lock:
                    c.next_probe = time.time() + period
                    c.probe_streak = max(c.probe_streak, 0) + 1 if ok else min(c.probe_streak, 0) - 1
                    if ok and c.probe_streak >= successes:
                        c.probe_ready = True
                    elif not ok and -c.probe_streak >= failures:
                        c.probe_ready = False

    def status(self, pod):
        with self._lock:
            entry = self._pods.get(pod["metadata"]["uid"])
            if entry is None:
                return None, {}
            containers = list(entry["containers"].values())
            ip = next((c.ip for c in containers if c.ip), None)
            out = {}
            for c in containers:
                s = {"name": c.spec["name"], "lastState": {}, "ready": False, "restartCount": c.restarts,
                     "image": c.spec.get("image"), "imageID": "", "started": False}
                if c.id:
                    s["containerID"] = "docker://" + c.id
                shown_exit = c.waiting in ("terminated", "exited")  # state.terminated is the last exit
                lastState = c.prior_terminated if shown_exit else c.last_terminated
                if lastState:
                    s["lastState"] = {"terminated": dict(lastState)}
                if c.running_since is not None:
                    s["state"] = {"running": {"startedAt": stamp(c.running_since)}}
                    s["started"] = True
                    s["ready"] = c.probe_ready or not _tcp_probe(c.spec)
                elif shown_exit:
                    s["state"] = {"terminated": dict(c.last_terminated)}
                else:
                    reason, message = c.waiting or ("ContainerCreating", None)
                    s["state"] = {"waiting": {"reason": reason, **({"message": message} if message else {})}}
                out[c.spec["name"]] = s
            return ip, out

    def usage(self, pod):
        """{container: (cores, bytes)}: CPU from the change of Docker's cumulative usage since the
        last look (0 on the first), memory as Docker reports it less the page cache."""
        with self._lock:
            entry = self._pods.get(pod["metadata"]["uid"])
            containers = [c for c in entry["containers"].values() if c.id] if entry else []
        out = {}
        for c in containers:
            try:
                stats = self.engine.stats(c.id)
            except (EngineError, OSError):
                continue
            if not isinstance(stats, dict):
                continue  # no JSON sample: the container is between runs (metrics-server skips it too)
            total = ((stats.get("cpu_stats") or {}).get("cpu_usage") or {}).get("total_usage", 0)
            mem = stats.get("memory_stats") or {}
            octets = mem.get("usage", 0) - (mem.get("stats") or {}).get("inactive_file", 0)
            t = time.monotonic()
            with self._lock:
                before = c.cpu_sample
                c.cpu_sample = (t, total)
            cores = (total - before[1]) / 1e9 / (t - before[0]) if before and t > before[0] else 0.0
            out[c.spec["name"]] = (max(0.0, cores), max(0.0, float(octets)))
        return out

    def has_started(self, pod, container):
        with self._lock:
            entry = self._pods.get(pod["metadata"]["uid"])
            c = entry and entry["containers"].get(container)
            return bool(c and c.id and (c.running_since is not None or c.last_terminated))

    def waiting_reason(self, pod, container):
        with self._lock:
            entry = self._pods.get(pod["metadata"]["uid"])
            c = entry and entry["containers"].get(container)
            return c.waiting[0] if c and isinstance(c.waiting, tuple) else None

    def logs(self, pod, container, since, tail, timestamps, follow, alive):
        with self._lock:
            entry = self._pods.get(pod["metadata"]["uid"])
            c = entry and entry["containers"].get(container)
            cid = c.id if c else None
        if cid is None:
            return
        pending = b""
        for _, data in self.engine.logs(cid, since, tail, follow):
            pending += data
            *lines, pending = pending.split(b"\n")
            for line in lines:
                yield (line if timestamps else line.split(b" ", 1)[-1]) + b"\n"
            if follow and not alive():
                return
        if pending:
            yield pending if timestamps else pending.split(b" ", 1)[-1]

    def shutdown(self):
        for info in self.engine.containers(f"{LABEL}={self.instance}"):
            try:
                self.engine.remove(info["Id"])
            except (EngineError, OSError):
                pass
