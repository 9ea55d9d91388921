#!/usr/bin/env python3
"""A test Kubernetes API server that the real kubectl and the official Python client accept.

HTTPS only (TLS 1.2+), bearer tokens from a kube-apiserver style token file and client
certificates signed by --client-ca; RBAC for everyone outside system:masters; discovery and
OpenAPI from the golden captures of a real kube-apiserver 1.32; a small controller (Deployment →
ReplicaSet → Pod, garbage collection) and pods run by Docker when DOCKER_HOST is a unix socket,
else simulated (Running and Ready, podIP 127.0.0.1).

    kube_apiserver.py --cert server.crt --key server.key --client-ca ca.crt --tokens tokens.csv \
        [--host 127.0.0.1] [--port 0] [--port-file F] [--node-cpu 4] [--node-memory 8Gi] [--no-docker]
"""
import argparse
import json
import os
import signal
import ssl
import sys
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import api as api_module  # noqa: E402
import bootstrap  # noqa: E402
import controller  # noqa: E402
import golden as golden_module  # noqa: E402
import logs  # noqa: E402
import metrics  # noqa: E402
import proxy  # noqa: E402
import runtimes  # noqa: E402
import tables  # noqa: E402
import watch  # noqa: E402
from authn import Authenticator, load_tokens  # noqa: E402
from rbac import Authorizer  # noqa: E402
from resources import Registry  # noqa: E402
from schema_check import Schemas  # noqa: E402
from statuses import APIError, forbidden_path, method_not_allowed, unauthorized, unsupported_media_type  # noqa: E402
from store import Store  # noqa: E402

MAX_BODY = 8 * 1024 * 1024  # the real server's limit is 3 MiB per object; bodies above 8 MiB are refused


class Cluster:
    """Everything a request handler needs, built once."""

    def __init__(self, args, address):
        self.golden = golden_module.Golden(address)
        if args.metrics:
            metrics.add_to_discovery(self.golden)
        self.registry = Registry(self.golden)
        self.store = Store()
        self.schemas = Schemas(self.golden.openapi_v2())
        self.ips = bootstrap.Allocator()
        self.api = api_module.API(self.store, self.registry, self.schemas, self.ips)
        self.authn = Authenticator(load_tokens(args.tokens))
        self.authz = Authorizer(self.store, self.registry)
        self.runtime = runtimes.choose(args)
        self.proxy = proxy.KubeProxy(self.store, self.registry, args.node_address, args.load_balancer_delay)
        self.ips.port_free = self.proxy.port_free
        bootstrap.seed(self.store, self.registry, self.ips, args)
        self.controller = controller.Controller(self.store, self.registry, self.api, self.runtime, args, self.proxy)
        self.controller.start()
        self.audit = AuditLog(args.audit_log) if args.audit_log else None
        self.metrics = metrics.Metrics(self.store, self.registry, self.runtime) if args.metrics else None


class AuditLog:
    """One JSON line per request (user, verb, group, resource, namespace, name, code), so a test
    can prove a client stayed inside its Role. No headers or bodies: tokens never reach it."""

    def __init__(self, path):
        self._lock = threading.Lock()
        self._file = open(path, "a", buffering=1)

    def write(self, record):
        with self._lock:
            self._file.write(json.dumps(record, separators=(",", ":")) + "\n")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "kube-apiserver-test"
    cluster = None  # set on the class by main()

    def log_message(self, fmt, *args):  # quiet unless asked: tests read stderr on failure only
        if os.environ.get("KUBE_APISERVER_VERBOSE"):
            sys.stderr.write("%s %s\n" % (self.address_string(), fmt % args))

    # One entry point for every method: the route decides what is allowed.
    def do_GET(self):
        self._serve("GET")

    def do_POST(self):
        self._serve("POST")

    def do_PUT(self):
        self._serve("PUT")

    def do_PATCH(self):
        self._serve("PATCH")

    def do_DELETE(self):
        self._serve("DELETE")

    def _read_body(self):
        # Read every body, DELETE's DeleteOptions too: an unread body breaks keep-alive.
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            raise APIError(413, "RequestEntityTooLarge", "Request entity too large: limit is 3145728", {})
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            data = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return data
                data += self.rfile.read(size)
                self.rfile.readline()
                if len(data) > MAX_BODY:
                    raise APIError(413, "RequestEntityTooLarge", "Request entity too large: limit is 3145728", {})
        return self.rfile.read(length) if length else b""

    def _serve(self, method):
        c = self.cluster
        self._audit = {"verb": method.lower(), "path": urlsplit(self.path).path}
        try:
            self._serve_inner(method)
        finally:
            if c.audit is not None:
                c.audit.write(self._audit)

    def _serve_inner(self, method):
        c = self.cluster
        try:
            url = urlsplit(self.path)
            query = dict(parse_qsl(url.query, keep_blank_values=True))
            body = self._read_body()
            if "protobuf" in (self.headers.get("Content-Type") or "") and body:
                # kubectl's typed generators (create namespace …) send protobuf; only JSON is spoken here.
                raise unsupported_media_type()
            user = c.authn.authenticate(self.headers.get("Authorization"), self.connection.getpeercert())
            if user is None:
                raise unauthorized()
            self._audit["user"] = user.name
            target = api_module.parse_path(c.registry, url.path)
            if target is None:
                return self._non_resource(method, url.path, user)
            verb = api_module.verb_of(method, target, query)
            if not verb:
                raise method_not_allowed()
            self._audit.update(verb=verb, group=target.res.group, resource=target.res.name + (
                "/" + target.subresource if target.subresource else ""), namespace=target.namespace, name=target.name)
            c.authz.check(user, verb, target.res, target.subresource, target.namespace, target.name)
            self._resource(method, verb, target, query, body)
        except APIError as e:
            self._json(e.code, e.status())
        except (ConnectionError, ssl.SSLError, TimeoutError):  # the client went away: nobody to answer
            self.close_connection = True
        except Exception as e:  # a bug here must still answer like a server, and say what it was
            import traceback
            traceback.print_exc()
            self._json(500, APIError(500, "InternalError", f"Internal error occurred: {e}", {}).status())

    def _resource(self, method, verb, t, query, body):
        c = self.cluster
        if t.res.group == metrics.GROUP:
            if verb not in ("get", "list"):
                raise method_not_allowed()
            return self._json(200, c.metrics.answer(t, query))
        if t.subresource == "log":
            if method != "GET":
                raise method_not_allowed()
            pod = c.store.get(t.res, t.namespace, t.name)
            return logs.serve(self, c.runtime, c.store, t.res, pod, query)
        if t.subresource == "scale":
            if method == "GET":
                return self._json(*c.api.get_scale(t))
            if method == "PUT":
                return self._json(*c.api.put_scale(t, body))
            if method == "PATCH":
                return self._json(*c.api.patch(t, body, self.headers.get("Content-Type"), query))
            raise method_not_allowed()
        if t.subresource and t.subresource != "status":
            raise method_not_allowed()
        if verb == "watch":
            return self._watch(t, query)
        if verb not in t.res.verbs:
            raise method_not_allowed()
        as_table = tables.wants_table(self.headers.get("Accept")) and not t.subresource
        if verb == "get":
            code, obj = c.api.get(t)
            if as_table:
                obj = tables.table(t.res, [obj], obj["metadata"]["resourceVersion"], query.get("includeObject", "Metadata"))
            return self._json(code, obj)
        if verb == "list":
            code, listing = c.api.list(t, query)
            if as_table:
                listing = tables.table(t.res, listing["items"], listing["metadata"]["resourceVersion"],
                                       query.get("includeObject", "Metadata"))
            return self._json(code, listing)
        if verb == "create":
            return self._json(*c.api.create(t, body, query))
        if verb == "update":
            return self._json(*c.api.update(t, body, query))
        if verb == "patch":
            return self._json(*c.api.patch(t, body, self.headers.get("Content-Type"), query))
        return self._json(*c.api.delete(t, body, query))

    def _watch(self, t, query):
        started = []
        as_table = tables.wants_table(self.headers.get("Accept"))
        headers_sent = []  # column definitions go with the first row only

        def send(event):
            if as_table and event["type"] in ("ADDED", "MODIFIED", "DELETED"):
                obj = event["object"]
                event = {"type": event["type"], "object": tables.table(
                    t.res, [obj], obj["metadata"]["resourceVersion"], query.get("includeObject", "Metadata"),
                    headers=not headers_sent)}
                headers_sent.append(True)
            self.write_chunk(json.dumps(event, separators=(",", ":")).encode() + b"\n")

        def begin():
            self.start_chunked(200, "application/json")
            started.append(True)

        try:
            watch.stream(self.cluster.store, t, query, send, begin)
        except APIError:
            if started:  # the headers went: an error now can only end the stream
                self.close_connection = True
                return
            raise
        self.end_chunked()

    def _non_resource(self, method, path, user):
        if method != "GET":
            raise method_not_allowed()
        g = self.cluster.golden
        path = path.rstrip("/") or "/"
        accept = self.headers.get("Accept", "")
        parts = path.strip("/").split("/")
        if path in ("/healthz", "/livez", "/readyz"):
            return self._bytes(200, b"ok", "text/plain; charset=utf-8")
        if path == "/version":
            return self._json(200, g.version)
        if path in ("/api", "/apis"):
            if "as=APIGroupDiscoveryList" in accept and "v=v2;" in accept.replace(" ", "") + ";":
                doc = g.aggregated_api if path == "/api" else g.aggregated_apis
                return self._json(200, doc, golden_module.AGGREGATED_MEDIA)
            return self._json(200, g.api if path == "/api" else g.apis)
        if parts[0] in ("api", "apis") and len(parts) in (2, 3):
            group, version = ("", parts[1]) if parts[0] == "api" else (parts[1], parts[2] if len(parts) == 3 else None)
            if version is None:
                doc = g.group(group)
            else:
                doc = g.resource_list(group, version)
            if doc is not None:
                return self._json(200, doc)
        if path == "/openapi/v2":
            if "protobuf" in accept and "json" not in accept:
                raise APIError(406, "NotAcceptable", "only application/json is served here", {})
            return self._bytes(200, g.openapi_v2(), "application/json")
        if path == "/openapi/v3":
            return self._json(200, g.v3_index)
        if path.startswith("/openapi/v3/"):
            doc = g.openapi_v3(path[len("/openapi/v3/"):])
            if doc is not None:
                return self._bytes(200, doc, "application/json")
        if path == "/":
            raise forbidden_path(user.name, "get", path)
        raise APIError(404, "NotFound", "the server could not find the requested resource", {})

    # ---- writing ----
    def _json(self, code, obj, content_type="application/json"):
        self._bytes(code, json.dumps(obj, separators=(",", ":")).encode(), content_type)

    def _bytes(self, code, data, content_type):
        self._audit["code"] = code
        self.send_response(code)
        self.send_header("Audit-Id", str(uuid.uuid4()))
        self.send_header("Cache-Control", "no-cache, private")
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def start_chunked(self, code, content_type):
        self._audit["code"] = code
        self.send_response(code)
        self.send_header("Audit-Id", str(uuid.uuid4()))
        self.send_header("Cache-Control", "no-cache, private")
        self.send_header("Content-Type", content_type)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.wfile.flush()

    def write_chunk(self, data):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def end_chunked(self):
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()


class TLSServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, address, handler, context):
        self.context = context
        super().__init__(address, handler)

    def get_request(self):
        sock, addr = super().get_request()
        # The handshake happens in the handler's thread (do_handshake_on_connect), not here.
        return self.context.wrap_socket(sock, server_side=True), addr


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--port-file", help="write the port here once listening (for scripts and tests)")
    p.add_argument("--cert", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--client-ca", required=True, help="CA that signs client certificates")
    p.add_argument("--tokens", required=True, help="token,user,uid,\"groups\" lines")
    p.add_argument("--node-name", default="streamspace-node")
    p.add_argument("--node-cpu", default="4")
    p.add_argument("--node-memory", default="8Gi")
    p.add_argument("--node-address", default="127.0.0.1",
                   help="the node's InternalIP and the pods' hostIP, where node ports listen")
    p.add_argument("--load-balancer-delay", type=float, default=0.5,
                   help="seconds before a LoadBalancer Service gets its address")
    p.add_argument("--no-docker", action="store_true", help="simulate pods even when DOCKER_HOST is set")
    p.add_argument("--audit-log", help="append one JSON line per request here")
    p.add_argument("--metrics", action="store_true", help="serve metrics.k8s.io/v1beta1 (usage from Docker's stats)")
    args = p.parse_args(argv)

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(args.cert, args.key)
    context.load_verify_locations(args.client_ca)
    context.verify_mode = ssl.CERT_OPTIONAL  # a certificate is one way in; a token is the other

    server = TLSServer((args.host, args.port), Handler, context)
    host, port = server.server_address[:2]
    Handler.cluster = Cluster(args, f"{host}:{port}")
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(str(port))
        os.replace(tmp, args.port_file)
    print(f"kube-apiserver (test) listening on https://{host}:{port} runtime={Handler.cluster.runtime.name}",
          file=sys.stderr, flush=True)
    # `kube-sandbox.sh down` sends SIGTERM: leave no containers behind.
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown, daemon=True).start())
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        Handler.cluster.proxy.shutdown()
        Handler.cluster.runtime.shutdown()


if __name__ == "__main__":
    main()
