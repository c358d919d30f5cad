#!/usr/bin/env python3
"""A reverse proxy in front of a registry that answers blob downloads with redirects to another
address, as registries backed by object storage do.

Usage: redirect_proxy.py --dir D --upstream HOST:PORT [--storage-upstream HOST:PORT] --hops N

Listens on two ports of 127.0.0.1: the registry face (its port goes to D/port) and the storage
face. On the registry face, GET /v2/<name>/blobs/<digest> is answered 307 to /_hop/1/<same path>,
then /_hop/2/..., and after N hops to the storage face; every other request is passed to
--upstream and its answer relayed. The storage face passes what it gets to --storage-upstream
(default: --upstream). Every blob request on either face is appended to D/requests.log with its
face and whether it carried an Authorization header, so a test can check that credentials stay
with the registry. Runs until SIGTERM.
"""

import argparse
import http.client
import http.server
import json
import os
import re
import sys
import threading
import urllib.parse

BLOB = re.compile(r"^/v2/.+/blobs/[a-z0-9]+:[a-f0-9]+$")
HOP = re.compile(r"^/_hop/(\d+)(/.*)$")
RELAYED = ("Content-Type", "Docker-Content-Digest", "WWW-Authenticate", "Location",
           "Docker-Distribution-Api-Version")


class Handler(http.server.BaseHTTPRequestHandler):
    args = None
    storage_port = 0
    lock = threading.Lock()
    face = "registry"
    upstream = None

    def log_message(self, *args):
        pass

    def record(self, entry):
        with self.lock, open(os.path.join(self.args.dir, "requests.log"), "a") as f:
            f.write(json.dumps(entry) + "\n")

    def redirect(self, location):
        self.record({"face": self.face, "path": self.path, "location": location,
                     "authorization": "Authorization" in self.headers})
        self.send_response(307)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def storage(self, path):
        return "http://127.0.0.1:%d%s" % (Handler.storage_port, path)

    def do_GET(self):
        hop = HOP.match(self.path)
        if hop:
            count, path = int(hop.group(1)), hop.group(2)
            if count >= self.args.hops:
                return self.redirect(self.storage(path))
            return self.redirect("/_hop/%d%s" % (count + 1, path))
        # Clients may send the digest's colon percent-encoded; the registry decodes it too.
        if BLOB.match(urllib.parse.unquote(self.path.split("?")[0])):
            if self.args.hops == 0:
                return self.redirect(self.storage(self.path))
            return self.redirect("/_hop/1%s" % self.path)
        self.forward()

    def forward(self):
        conn = http.client.HTTPConnection(self.upstream, timeout=30)
        headers = {k: v for k, v in self.headers.items()
                   if k.lower() in ("accept", "authorization", "user-agent")}
        conn.request(self.command, self.path, headers=headers)
        response = conn.getresponse()
        body = response.read()
        self.send_response(response.status)
        for name in RELAYED:
            for value in response.headers.get_all(name) or []:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        conn.close()


class StorageHandler(Handler):
    face = "storage"

    def do_GET(self):
        self.record({"face": self.face, "path": self.path,
                     "authorization": "Authorization" in self.headers})
        self.forward()


def main(argv):
    parser = argparse.ArgumentParser(description="A redirecting reverse proxy for a registry.")
    parser.add_argument("--dir", required=True)
    parser.add_argument("--upstream", required=True)
    parser.add_argument("--storage-upstream")
    parser.add_argument("--hops", type=int, default=1)
    args = parser.parse_args(argv)
    os.makedirs(args.dir, exist_ok=True)
    Handler.args = args
    Handler.upstream = args.upstream
    StorageHandler.upstream = args.storage_upstream or args.upstream
    storage = http.server.ThreadingHTTPServer(("127.0.0.1", 0), StorageHandler)
    Handler.storage_port = storage.server_address[1]
    threading.Thread(target=storage.serve_forever, daemon=True).start()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    port_file = os.path.join(args.dir, "port")
    with open(port_file + ".tmp", "w") as f:
        f.write("%d\n" % server.server_address[1])
    os.replace(port_file + ".tmp", port_file)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
