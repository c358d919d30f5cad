#!/usr/bin/env python3
"""A Docker token service for tests: what docker-registry's `auth: token` mode needs in front of it.

Usage: token_server.py --dir D --issuer I --service S --user NAME:PASSWORD --refresh-token R
                       [--expires-in SECONDS]

On start it writes D/cert.pem (a self-signed RSA certificate: the registry's rootcertbundle), then
listens on 127.0.0.1 port 0 and writes the port to D/port. It serves the token endpoint at /token:

  GET  /token?service=S&scope=repository:NAME:pull[&account=..][&offline_token=true&client_id=..]
       Basic auth with the configured user and password grants every scope asked for (pull and
       push); no Authorization grants only repositories under "public/"; a wrong password is 401
       {"details":"incorrect username or password"}. With offline_token=true an authenticated
       caller also gets the refresh token R.
  POST /token  grant_type=refresh_token&refresh_token=R&service=S&scope=... grants every scope;
       any other refresh token is 401.

Tokens are RS256 JWTs whose header carries the certificate (x5c), as the registry verifies them.
Each request is appended to D/requests.log as one JSON line (method, grant, account, scopes), so a
test can count how often a client came for a token. Runs until SIGTERM.
"""

import argparse
import base64
import datetime
import http.server
import json
import os
import secrets
import sys
import threading
import time
import urllib.parse

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def make_key_and_cert(directory):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sockerless test token issuer")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .sign(key, hashes.SHA256()))
    path = os.path.join(directory, "cert.pem")
    with open(path + ".tmp", "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    os.replace(path + ".tmp", path)
    return key, cert


class Issuer:
    def __init__(self, args):
        self.args = args
        self.user, _, self.password = args.user.partition(":")
        self.key, cert = make_key_and_cert(args.dir)
        self.x5c = base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()
        self.log_lock = threading.Lock()

    def token(self, subject, access):
        now = int(time.time())
        header = {"typ": "JWT", "alg": "RS256", "x5c": [self.x5c]}
        claims = {"iss": self.args.issuer, "sub": subject, "aud": self.args.service,
                  "exp": now + self.args.expires_in, "nbf": now - 10, "iat": now,
                  "jti": secrets.token_hex(8), "access": access}
        signing_input = (b64url(json.dumps(header).encode()) + "." +
                         b64url(json.dumps(claims).encode()))
        signature = self.key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        return signing_input + "." + b64url(signature)

    def log(self, entry):
        with self.log_lock, open(os.path.join(self.args.dir, "requests.log"), "a") as f:
            f.write(json.dumps(entry) + "\n")


def access_for(scopes, anyone):
    """The access claim granting the scopes (all, or only public/* ones for anonymous callers)."""
    out = []
    for scope in scopes:
        for item in scope.split(" "):
            parts = item.split(":")
            if len(parts) != 3 or parts[0] != "repository":
                continue
            if not anyone and not parts[1].startswith("public/"):
                continue
            out.append({"type": "repository", "name": parts[1], "actions": ["pull", "push"]})
    return out


class Handler(http.server.BaseHTTPRequestHandler):
    issuer = None

    def log_message(self, *args):
        pass

    def reply(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        if url.path != "/token":
            return self.reply(404, {"details": "not found"})
        params = urllib.parse.parse_qs(url.query)
        scopes = params.get("scope", [])
        auth = self.headers.get("Authorization", "")
        entry = {"method": "GET", "grant": "anonymous", "scopes": scopes,
                 "account": params.get("account", [""])[0]}
        authenticated = False
        if auth.startswith("Basic "):
            user, _, password = base64.b64decode(auth[6:]).decode().partition(":")
            entry["grant"] = "basic"
            if (user, password) != (self.issuer.user, self.issuer.password):
                self.issuer.log(dict(entry, outcome="refused"))
                return self.reply(401, {"details": "incorrect username or password"})
            authenticated = True
        self.issuer.log(dict(entry, outcome="issued"))
        subject = self.issuer.user if authenticated else ""
        body = {"token": self.issuer.token(subject, access_for(scopes, authenticated)),
                "expires_in": self.issuer.args.expires_in,
                "issued_at": datetime.datetime.now(datetime.timezone.utc).isoformat()}
        if authenticated and params.get("offline_token", [""])[0] == "true":
            body["refresh_token"] = self.issuer.args.refresh_token
        self.reply(200, body)

    def do_POST(self):
        if urllib.parse.urlsplit(self.path).path != "/token":
            return self.reply(404, {"details": "not found"})
        length = int(self.headers.get("Content-Length", "0"))
        form = urllib.parse.parse_qs(self.rfile.read(length).decode())
        scopes = form.get("scope", [""])[0].split(" ") if form.get("scope") else []
        entry = {"method": "POST", "grant": form.get("grant_type", [""])[0], "scopes": scopes,
                 "client_id": form.get("client_id", [""])[0]}
        if (entry["grant"] != "refresh_token" or
                form.get("refresh_token", [""])[0] != self.issuer.args.refresh_token):
            self.issuer.log(dict(entry, outcome="refused"))
            return self.reply(401, {"details": "invalid refresh token"})
        self.issuer.log(dict(entry, outcome="issued"))
        self.reply(200, {"access_token": self.issuer.token(self.issuer.user,
                                                           access_for(scopes, True)),
                         "expires_in": self.issuer.args.expires_in})


def main(argv):
    parser = argparse.ArgumentParser(description="A Docker token service for tests.")
    parser.add_argument("--dir", required=True)
    parser.add_argument("--issuer", required=True)
    parser.add_argument("--service", required=True)
    parser.add_argument("--user", required=True, help="NAME:PASSWORD")
    parser.add_argument("--refresh-token", required=True)
    parser.add_argument("--expires-in", type=int, default=300)
    args = parser.parse_args(argv)
    os.makedirs(args.dir, exist_ok=True)
    Handler.issuer = Issuer(args)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    port_file = os.path.join(args.dir, "port")
    with open(port_file + ".tmp", "w") as f:
        f.write("%d\n" % server.server_address[1])
    os.replace(port_file + ".tmp", port_file)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
