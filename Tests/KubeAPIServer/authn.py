"""Who is asking: a bearer token from a static token file (kube-apiserver's --token-auth-file
format: token,user,uid,"group1,group2") or a client certificate signed by the CA (CN = user,
O = groups)."""
import csv
import hmac
from dataclasses import dataclass


@dataclass(frozen=True)
class User:
    name: str
    groups: tuple


def load_tokens(path):
    tokens = {}
    with open(path, newline="") as f:
        for lineno, row in enumerate(csv.reader(f), 1):
            if not row or row[0].startswith("#"):
                continue
            if len(row) < 3:
                raise ValueError(f"{path}:{lineno}: want token,user,uid[,\"groups\"]")
            groups = tuple(g for g in (row[3].split(",") if len(row) > 3 else []) if g)
            tokens[row[0]] = User(row[1], groups)
    return tokens


class Authenticator:
    def __init__(self, tokens):
        self.tokens = tokens

    def authenticate(self, authorization, peer_cert):
        """Returns a User, or None (the caller answers 401). A presented but unknown token is a
        401 even when a certificate came too, as on the real server."""
        if authorization:
            scheme, _, token = authorization.partition(" ")
            if scheme.lower() != "bearer" or not token:
                return None
            for known, user in self.tokens.items():
                if hmac.compare_digest(known.encode(), token.strip().encode()):
                    return self._with_defaults(user)
            return None
        if peer_cert:
            subject = dict(x[0] for x in peer_cert.get("subject", ()))
            cn = subject.get("commonName")
            if not cn:
                return None
            orgs = tuple(v for rdn in peer_cert["subject"] for k, v in rdn if k == "organizationName")
            return self._with_defaults(User(cn, orgs))
        return None

    @staticmethod
    def _with_defaults(user):
        groups = list(user.groups)
        if user.name.startswith("system:serviceaccount:"):
            ns = user.name.split(":")[2]
            groups += ["system:serviceaccounts", "system:serviceaccounts:" + ns]
        groups.append("system:authenticated")
        return User(user.name, tuple(dict.fromkeys(groups)))
