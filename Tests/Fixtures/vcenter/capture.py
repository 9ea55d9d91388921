#!/usr/bin/env python3
"""Captures vcsim's SOAP (vim25) answers for the SOAP layer's golden fixtures (README.md here).

Needs two vcsims from Scripts/vcsim-sandbox.sh: the default one (4 VMs) and one with 1,000 VMs;
`capture.sh` beside this file starts both. Requests are written here with the standard library
only (no SOAP client), so the fixtures are vcsim's bytes exactly as it sent them; every value put
into a request is escaped (xml.sax.saxutils), never pasted in.

    capture.py SMALL_ENV_FILE LARGE_ENV_FILE
"""
import http.client
import os
import ssl
import sys
from urllib.parse import urlsplit
from xml.sax.saxutils import escape, quoteattr

HERE = os.path.dirname(os.path.abspath(__file__))
ENVELOPE = ('<?xml version="1.0" encoding="UTF-8"?>'
            '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema">'
            '<soapenv:Body>{}</soapenv:Body></soapenv:Envelope>')


def el(name, *children, **attributes):
    """An element: children are elements already built or plain values (escaped here)."""
    attrs = "".join(f" {k.replace('__', ':')}={quoteattr(v)}" for k, v in attributes.items())
    inner = "".join(c if isinstance(c, Raw) else escape(str(c)) for c in children)
    return Raw(f"<{name}{attrs}>{inner}</{name}>")


class Raw(str):
    """Markup built by el(), which must not be escaped again."""


def moref(name, kind, value):
    return el(name, value, type=kind)


class Vim:
    def __init__(self, env):
        self.url = urlsplit(env["STREAMSPACE_VCSIM_URL"])
        self.context = ssl.create_default_context(cafile=env["STREAMSPACE_VCSIM_CA"])
        self.user = env["STREAMSPACE_VCSIM_USER"]
        with open(env["STREAMSPACE_VCSIM_PASSWORD_FILE"]) as f:
            self.password = f.read().strip()
        self.cookie = None

    def call(self, body, expect_fault=False):
        connection = http.client.HTTPSConnection(self.url.hostname, self.url.port, context=self.context)
        headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '"urn:vim25/6.5"'}
        if self.cookie:
            headers["Cookie"] = self.cookie
        connection.request("POST", self.url.path, ENVELOPE.format(body).encode(), headers)
        response = connection.getresponse()
        data = response.read()
        cookie = response.getheader("Set-Cookie")
        if cookie:
            self.cookie = cookie.split(";")[0]
        faulted = response.status == 500 and b"Fault>" in data
        if faulted != expect_fault:
            sys.exit(f"capture: unexpected answer (HTTP {response.status}):\n{data.decode()[:2000]}")
        return data

    def login(self, password=None, expect_fault=False):
        return self.call(el("Login", moref("_this", "SessionManager", "SessionManager"),
                            el("userName", self.user), el("password", password or self.password),
                            xmlns="urn:vim25"), expect_fault)

    def vm_view(self):
        answer = self.call(el("CreateContainerView", moref("_this", "ViewManager", "ViewManager"),
                              moref("container", "Folder", "group-d1"), el("type", "VirtualMachine"),
                              el("recursive", "true"), xmlns="urn:vim25")).decode()
        return answer.split('<returnval type="ContainerView">')[1].split("<")[0]

    def retrieve_vms(self, view, paths):
        """RetrieveProperties over every VM of the view, as the driver's list will ask."""
        return self.call(el(
            "RetrieveProperties", moref("_this", "PropertyCollector", "propertyCollector"),
            el("specSet",
               el("propSet", el("type", "VirtualMachine"), *[el("pathSet", p) for p in paths]),
               el("objectSet", moref("obj", "ContainerView", view), el("skip", "true"),
                  el("selectSet", el("name", "view"), el("type", "ContainerView"), el("path", "view"),
                     el("skip", "false"), xsi__type="TraversalSpec"))),
            xmlns="urn:vim25"))

    def vm_refs(self, view):
        answer = self.retrieve_vms(view, ["name"]).decode()
        return [part.split("<")[0] for part in answer.split('<obj type="VirtualMachine">')[1:]]

    def tag(self, vm, session, user):
        """Gives a VM the session's extraConfig keys, as the driver's start will."""
        values = [("streamspace.session", session), ("streamspace.user", user), ("streamspace.template", "firefox")]
        spec = el("spec", *[el("extraConfig", el("key", k), el("value", v, xsi__type="xsd:string"))
                            for k, v in values])
        self.call(el("ReconfigVM_Task", moref("_this", "VirtualMachine", vm), spec, xmlns="urn:vim25"))


def load_env(path):
    env = {}
    with open(path) as f:
        for line in f:
            if line.startswith("export "):
                key, value = line[len("export "):].strip().split("=", 1)
                env[key] = value
    return env


def write(name, data):
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)
    print(f"capture: {name} ({len(data)} bytes)", file=sys.stderr)


LIST_PATHS = ["name", "config.extraConfig", "config.hardware.numCPU", "config.hardware.memoryMB",
              "runtime.powerState", "guest.ipAddress", "summary.quickStats"]


def main():
    small, large = Vim(load_env(sys.argv[1])), Vim(load_env(sys.argv[2]))

    write("retrieve-service-content.xml", small.call(el(
        "RetrieveServiceContent", moref("_this", "ServiceInstance", "ServiceInstance"), xmlns="urn:vim25")))
    write("fault-not-authenticated.xml", small.call(el(
        "CreateContainerView", moref("_this", "ViewManager", "ViewManager"), moref("container", "Folder", "group-d1"),
        el("type", "VirtualMachine"), el("recursive", "true"), xmlns="urn:vim25"), expect_fault=True))
    write("fault-invalid-login.xml", small.login(password="not the password", expect_fault=True))
    write("login.xml", small.login())
    write("fault-managed-object-not-found.xml", small.call(el(
        "PowerOnVM_Task", moref("_this", "VirtualMachine", "vm-does-not-exist"), xmlns="urn:vim25"), expect_fault=True))

    view = small.vm_view()
    vms = small.vm_refs(view)
    # Values that XML must escape, and non-ASCII, as a session id or user name might hold them.
    small.tag(vms[0], "s-1", 'alice <&"\'> Zoë 日本')
    small.tag(vms[1], "s-2", "bob")
    write("retrieve-properties-vms.xml", small.retrieve_vms(view, LIST_PATHS))
    small.call(el("Logout", moref("_this", "SessionManager", "SessionManager"), xmlns="urn:vim25"))

    large.login()
    view = large.vm_view()
    for number, vm in enumerate(large.vm_refs(view)):
        large.tag(vm, f"s-{number:04d}", f"user-{number % 37}")
    write("retrieve-properties-1000-vms.xml", large.retrieve_vms(view, LIST_PATHS))


if __name__ == "__main__":
    main()
