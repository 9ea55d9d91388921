"""What makes a Service's public address answer: a userspace kube-proxy and a load-balancer
controller.

- Each node port of a NodePort or LoadBalancer Service listens on the node's address
  (`--node-address`, the pods' hostIP) and each LoadBalancer Service on its address and ports;
  a connection is relayed to a Ready pod the Service selects, at its IP and targetPort (a number,
  or a container port's name). With Docker the pod IP is the container's, so a session's NodePort
  or LoadBalancer URL is its real web server.
- The load-balancer controller gives each LoadBalancer Service without `spec.loadBalancerClass`
  (another controller's, as in a cloud) an address of its own after `--load-balancer-delay`
  seconds: a loopback address from 127.128.0.0/9, so the same port can be served by many."""
import ipaddress
import random
import socket
import sys
import threading
import time




class KubeProxy:
    def __init__(self, store, registry, node_address, delay):
        self.store, self.node_address, self.delay = store, node_address, delay
        self.services = registry.lookup("", "v1", "services")
        self.pods = registry.lookup("", "v1", "pods")
        self._listeners = {}  # (address, port) -> (socket, (namespace, service name, service port))
        self._seen = {}  # uid -> when the load-balancer controller first saw the Service
        self._lock = threading.Lock()

    def port_free(self, port):
        """Whether the node can open this port (a node port is only handed out when it can)."""
        if (self.node_address, port) in self._listeners:
            return False
        try:
            with socket.socket() as s:
                s.bind((self.node_address, port))
            return True
        except OSError:
            return False

    # ---- the load-balancer controller (called from the controller's loop, under its lock) ----
    def assign_load_balancers(self):
        items, _ = self.store.list(self.services)
        live = set()
        for svc in items:
            spec, meta = svc.get("spec") or {}, svc["metadata"]
            if spec.get("type") != "LoadBalancer" or spec.get("loadBalancerClass") or meta.get("deletionTimestamp"):
                continue
            live.add(meta["uid"])
            if (svc.get("status") or {}).get("loadBalancer", {}).get("ingress"):
                continue
            first = self._seen.setdefault(meta["uid"], time.monotonic())
            if time.monotonic() - first < self.delay:
                continue
            address = self._free_address([p.get("port") for p in spec.get("ports") or []])
            fresh = dict(svc)
            fresh["status"] = {"loadBalancer": {"ingress": [{"ip": address, "ipMode": "VIP"}]}}
            self.store.replace(self.services, fresh)
        for uid in list(self._seen):
            if uid not in live:
                del self._seen[uid]

    def _free_address(self, ports):
        taken = {address for address, _ in self._listeners}
        for _ in range(1000):
            address = str(ipaddress.IPv4Address("127.128.0.0") + random.randint(1, 2 ** 23 - 2))
            if address not in taken and all(self._bindable(address, p) for p in ports if isinstance(p, int)):
                return address
        raise RuntimeError("no free loopback address for a load balancer")

    @staticmethod
    def _bindable(address, port):
        try:
            with socket.socket() as s:
                s.bind((address, port))
            return True
        except OSError:
            return False

    # ---- the proxy ----
    def sync(self):
        """Opens a listener for each public address and port, closes those no Service has."""
        items, _ = self.store.list(self.services)
        want = {}
        for svc in items:
            spec, meta = svc.get("spec") or {}, svc["metadata"]
            if spec.get("type") not in ("NodePort", "LoadBalancer") or meta.get("deletionTimestamp"):
                continue
            for p in spec.get("ports") or []:
                if p.get("protocol", "TCP") != "TCP":
                    continue
                target = (meta["namespace"], meta["name"], p.get("port"))
                if p.get("nodePort"):
                    want[(self.node_address, p["nodePort"])] = target
                for ingress in (svc.get("status") or {}).get("loadBalancer", {}).get("ingress") or []:
                    if ingress.get("ip"):
                        want[(ingress["ip"], p["port"])] = target
        with self._lock:
            for key in list(self._listeners):
                if self._listeners[key][1] != want.get(key):
                    self._listeners.pop(key)[0].close()
            for key, target in want.items():
                if key in self._listeners:
                    continue
                try:
                    listener = socket.create_server(key, backlog=64)
                except OSError as e:
                    print(f"kube-proxy: cannot listen on {key[0]}:{key[1]} for service {target[0]}/{target[1]}: {e}",
                          file=sys.stderr, flush=True)
                    continue
                self._listeners[key] = (listener, target)
                threading.Thread(target=self._accept, args=(listener, target), daemon=True,
                                 name=f"proxy {key[0]}:{key[1]}").start()

    def shutdown(self):
        with self._lock:
            for listener, _ in self._listeners.values():
                listener.close()
            self._listeners.clear()

    def _accept(self, listener, target):
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # closed
            threading.Thread(target=self._relay, args=(client, target), daemon=True).start()

    def _backend(self, target):
        namespace, name, service_port = target
        svc = self.store.find(self.services, namespace, name)
        if svc is None:
            return None
        selector = (svc.get("spec") or {}).get("selector") or {}
        port = next((p for p in svc["spec"].get("ports") or [] if p.get("port") == service_port), None)
        if not selector or port is None:
            return None
        pods, _ = self.store.list(self.pods, namespace, lambda o: all(
            (o["metadata"].get("labels") or {}).get(k) == v for k, v in selector.items()))
        for pod in pods:
            status = pod.get("status") or {}
            ready = any(c["type"] == "Ready" and c["status"] == "True" for c in status.get("conditions") or [])
            if not ready or not status.get("podIP") or pod["metadata"].get("deletionTimestamp"):
                continue
            target_port = port.get("targetPort", service_port)
            if isinstance(target_port, str):
                target_port = next((cp["containerPort"] for c in pod["spec"].get("containers") or []
                                    for cp in c.get("ports") or [] if cp.get("name") == target_port), None)
            if target_port:
                return status["podIP"], target_port
        return None

    def _relay(self, client, target):
        backend = self._backend(target)
        if backend is None:  # no Ready endpoint: kube-proxy rejects the connection
            client.close()
            return
        try:
            upstream = socket.create_connection(backend, timeout=5)
            upstream.settimeout(None)
        except OSError:
            client.close()
            return

        def pump(source, sink):
            try:
                while True:
                    data = source.recv(65536)
                    if not data:
                        break
                    sink.sendall(data)
            except OSError:
                pass
            finally:
                try:
                    sink.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
        other = threading.Thread(target=pump, args=(upstream, client), daemon=True)
        other.start()
        pump(client, upstream)
        other.join()
        client.close()
        upstream.close()


