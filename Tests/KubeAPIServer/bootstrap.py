"""What a fresh cluster has: the system namespaces, one node with capacity and allocatable, and
the address allocators for Services."""
import ipaddress
import random
import threading


class Allocator:
    def __init__(self):
        self._lock = threading.Lock()
        self._ips = set()
        self._ports = set()

    def cluster_ip(self):
        with self._lock:
            while True:
                ip = str(ipaddress.IPv4Address("10.96.0.0") + random.randint(10, 65000))
                if ip not in self._ips:
                    self._ips.add(ip)
                    return ip

    def node_port(self):
        with self._lock:
            while True:
                port = random.randint(30000, 32767)
                if port not in self._ports:
                    self._ports.add(port)
                    return port


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
                       "addresses": [{"type": "InternalIP", "address": "127.0.0.1"},
                                     {"type": "Hostname", "address": args.node_name}],
                       "nodeInfo": {"machineID": "", "systemUUID": "", "bootID": "", "kernelVersion": "",
                                    "osImage": "StreamSpace test node", "containerRuntimeVersion": "docker://",
                                    "kubeletVersion": "v1.32.0", "kubeProxyVersion": "v1.32.0",
                                    "operatingSystem": "linux", "architecture": "amd64"}}}
