"""What a fresh cluster has: the system namespaces, one node with capacity and allocatable, and
the address allocators for Services."""
import ipaddress
import random
import threading


class Allocator:
    """Cluster IPs, and node ports from 30000-32767. `port_free` (the proxy's) says whether the
    host can still open a port, so a node port this process cannot serve is never handed out."""

    def __init__(self):
        self._lock = threading.Lock()
        self._ips = set()
        self._ports = set()
        self.port_free = lambda port: True

    def cluster_ip(self):
        with self._lock:
            while True:
                ip = str(ipaddress.IPv4Address("10.96.0.0") + random.randint(10, 65000))
                if ip not in self._ips:
                    self._ips.add(ip)
                    return ip

    def release_cluster_ip(self, ip):
        with self._lock:
            self._ips.discard(ip)

    def node_port(self):
        with self._lock:
            for _ in range(10000):
                port = random.randint(30000, 32767)
                if port not in self._ports and self.port_free(port):
                    self._ports.add(port)
                    return port
        raise RuntimeError("no free node port left in 30000-32767")

    def claim_node_port(self, port):
        """False when it is allocated already."""
        with self._lock:
            if port in self._ports:
                return False
            self._ports.add(port)
            return True

    def release_node_port(self, port):
        with self._lock:
            self._ports.discard(port)


def seed(store, registry, ips, args):
    namespaces = registry.lookup("", "v1", "namespaces")
    for name in ("default", "kube-system", "kube-public", "kube-node-lease"):
        store.create(namespaces, {"kind": "Namespace", "apiVersion": "v1",
                                  "metadata": {"name": name, "labels": {"kubernetes.io/metadata.name": name}},
                                  "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}})
    services = registry.lookup("", "v1", "services")
    ip = "10.96.0.1"
    ips._ips.add(ip)
    store.create(services, {"kind": "Service", "apiVersion": "v1",
                            "metadata": {"name": "kubernetes", "namespace": "default",
                                         "labels": {"component": "apiserver", "provider": "kubernetes"}},
                            "spec": {"ports": [{"name": "https", "protocol": "TCP", "port": 443, "targetPort": 6443}],
                                     "clusterIP": ip, "clusterIPs": [ip], "type": "ClusterIP",
                                     "sessionAffinity": "None", "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack",
                                     "internalTrafficPolicy": "Cluster"},
                            "status": {"loadBalancer": {}}})
    store.create(registry.lookup("", "v1", "nodes"), node(args))
    # Versions up to here are the cluster's past: a watch from before them is 410 Expired.
    store.compacted = store.revision


def node(args):
    capacity = {"cpu": args.node_cpu, "memory": args.node_memory, "pods": "110", "ephemeral-storage": "100Gi"}
    return {"kind": "Node", "apiVersion": "v1",
            "metadata": {"name": args.node_name,
                         "labels": {"kubernetes.io/hostname": args.node_name, "kubernetes.io/os": "linux",
                                    "kubernetes.io/arch": "amd64", "node-role.kubernetes.io/control-plane": ""}},
            "spec": {},
            "status": {"capacity": capacity, "allocatable": dict(capacity),
                       "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady",
                                       "message": "kubelet is posting ready status"}],
                       "addresses": [{"type": "InternalIP", "address": args.node_address},
                                     {"type": "Hostname", "address": args.node_name}],
                       "nodeInfo": {"machineID": "", "systemUUID": "", "bootID": "", "kernelVersion": "",
                                    "osImage": "StreamSpace test node", "containerRuntimeVersion": "docker://",
                                    "kubeletVersion": "v1.32.0", "kubeProxyVersion": "v1.32.0",
                                    "operatingSystem": "linux", "architecture": "amd64"}}}
