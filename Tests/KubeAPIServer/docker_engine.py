"""A small Docker Engine API client over its unix socket (http.client on AF_UNIX; no docker
CLI, so no shell ever sees a pod's image name or arguments)."""
import http.client
import json
import socket
import struct
from urllib.parse import quote, urlencode


class EngineError(Exception):
    def __init__(self, status, message):
        super().__init__(f"{status}: {message}")
        self.status, self.message = status, message


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout):
        super().__init__("docker", timeout=timeout)
        self._path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self._path)


class Engine:
    def __init__(self, socket_path):
        self.socket_path = socket_path

    def _request(self, method, path, query=None, body=None, timeout=60, stream=False):
        url = path + ("?" + urlencode(query) if query else "")
        conn = _UnixConnection(self.socket_path, timeout)
        headers = {"Host": "docker"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        conn.request(method, url, body=data, headers=headers)
        r = conn.getresponse()
        if r.status >= 400:
            raw = r.read()
            conn.close()
            try:
                message = json.loads(raw).get("message", raw.decode(errors="replace"))
            except ValueError:
                message = raw.decode(errors="replace")
            raise EngineError(r.status, message.strip())
        if stream:
            return conn, r
        raw = r.read()
        conn.close()
        return json.loads(raw) if raw and r.getheader("Content-Type", "").startswith("application/json") else raw

    def ping(self):
        return self._request("GET", "/_ping", timeout=3) == b"OK"

    def image_exists(self, image):
        try:
            self._request("GET", f"/images/{quote(image, safe='')}/json")
            return True
        except EngineError as e:
            if e.status == 404:
                return False
            raise

    def pull(self, image):
        """Pulls; the Engine answers 200 and reports a failure inside the progress stream."""
        name, tag = image, "latest"
        last = name.rsplit("/", 1)[-1]
        if "@" in name:
            name, tag = name.split("@", 1)[0], name.split("@", 1)[1]
        elif ":" in last:
            name, tag = name.rsplit(":", 1)
        conn, r = self._request("POST", "/images/create", {"fromImage": name, "tag": tag}, timeout=300, stream=True)
        try:
            for line in r:
                try:
                    msg = json.loads(line)
                except ValueError:
                    continue
                if "error" in msg:
                    raise EngineError(500, msg["error"])
        finally:
            conn.close()

    def create(self, name, config):
        return self._request("POST", "/containers/create", {"name": name}, config)["Id"]

    def start(self, cid):
        self._request("POST", f"/containers/{cid}/start")

    def inspect(self, cid):
        return self._request("GET", f"/containers/{cid}/json")

    def remove(self, cid):
        try:
            self._request("DELETE", f"/containers/{cid}", {"force": "1", "v": "1"})
        except EngineError as e:
            if e.status != 404:
                raise

    def stats(self, cid):
        return self._request("GET", f"/containers/{cid}/stats", {"stream": "false", "one-shot": "true"}, timeout=10)

    def containers(self, label):
        return self._request("GET", "/containers/json", {"all": "1", "filters": json.dumps({"label": [label]})})

    def logs(self, cid, since=None, tail=None, follow=False):
        """Yields (stream, bytes) frames of a container without a TTY."""
        query = {"stdout": "1", "stderr": "1", "timestamps": "1"}
        if since is not None:
            query["since"] = "%.9f" % since
        if tail is not None:
            query["tail"] = str(tail)
        if follow:
            query["follow"] = "1"
        conn, r = self._request("GET", f"/containers/{cid}/logs", query, timeout=None if follow else 60, stream=True)
        try:
            while True:
                header = r.read(8)
                if len(header) < 8:
                    return
                stream, size = header[0], struct.unpack(">I", header[4:])[0]
                yield stream, r.read(size)
        finally:
            conn.close()
