"""Services as the real REST storage allocates for them: a cluster IP, and for NodePort and
LoadBalancer a node port per port from 30000-32767 — an explicit one checked (422 when taken or out
of range, or given to a ClusterIP Service), the allocated ones kept on update when the update
omits them (matched by port name, as kube-apiserver's patchAllocatedValues does), released when
the Service goes or stops using them."""
from statuses import invalid

NODE_PORT_RANGE = range(30000, 32768)
_NODE_PORT_TYPES = ("NodePort", "LoadBalancer")


def needs_node_ports(svc):
    return (svc.get("spec") or {}).get("type") in _NODE_PORT_TYPES


def node_ports(svc):
    return {p["nodePort"] for p in (svc.get("spec") or {}).get("ports") or [] if isinstance(p.get("nodePort"), int)}


def admit(ips, svc, old=None):
    """Before the defaults: keeps what `old` had allocated, checks and claims explicit node
    ports. The defaults then allocate the missing ones (Allocator.node_port)."""
    spec = svc.setdefault("spec", {})
    name = (svc.get("metadata") or {}).get("name", "")
    ports = spec.get("ports") or []
    if old is not None:
        old_spec = old.get("spec") or {}
        if not spec.get("clusterIP") and old_spec.get("clusterIP"):
            spec["clusterIP"], spec["clusterIPs"] = old_spec["clusterIP"], old_spec.get("clusterIPs", [old_spec["clusterIP"]])
        if needs_node_ports(old) and needs_node_ports(svc):
            used = node_ports(old) & node_ports(svc)
            by_name = {p.get("name", ""): p.get("nodePort") for p in old_spec.get("ports") or []}
            for p in ports:
                kept = by_name.get(p.get("name", ""))
                if not p.get("nodePort") and kept and kept not in used:
                    p["nodePort"] = kept
    mine = node_ports(old) if old is not None else set()
    causes, claimed = [], []
    for i, p in enumerate(ports):
        port = p.get("nodePort")
        if port in (None, 0):
            p.pop("nodePort", None)
            continue
        field = f"spec.ports[{i}].nodePort"
        if not needs_node_ports(svc):
            causes.append((field, f"Forbidden: may not be used when `type` is '{spec.get('type', 'ClusterIP')}'"))
        elif port not in NODE_PORT_RANGE:
            causes.append((field, f"Invalid value: {port}: provided port is not in the valid range. "
                                  f"The range of valid ports is {NODE_PORT_RANGE.start}-{NODE_PORT_RANGE.stop - 1}"))
        elif port not in mine:
            if ips.claim_node_port(port):
                claimed.append(port)
            else:
                causes.append((field, f"Invalid value: {port}: provided port is already allocated"))
    if causes:
        for port in claimed:  # what this request claimed goes back
            ips.release_node_port(port)
        raise invalid("Service", name, causes)


def released(ips, old, new=None):
    """After a write: node ports `old` held that `new` (None: deleted) no longer does go back."""
    keep = node_ports(new) if new is not None else set()
    for port in node_ports(old) - keep:
        ips.release_node_port(port)
    if new is None:
        ips.release_cluster_ip((old.get("spec") or {}).get("clusterIP"))
