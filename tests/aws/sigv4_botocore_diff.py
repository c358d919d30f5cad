#!/usr/bin/env python3
"""Differential test: sockerless's SigV4 signer against botocore's, byte for byte.

Generates seeded random requests (methods, unicode and reserved characters in paths and queries,
repeated query keys, messy headers, binary bodies, the services sockerless talks to, with and
without session tokens, fixed timestamps), signs each with botocore (SigV4Auth, S3SigV4Auth,
S3SigV4QueryAuth) and with sigv4_tool (our C++ signer), and compares the signed headers, including
Authorization, or the presigned URL.

Usage: sigv4_botocore_diff.py SIGV4_TOOL [--cases N] [--seed S]
Exits non-zero on any mismatch, printing the first few with both canonical requests.
"""

import argparse
import datetime
import hashlib
import json
import random
import subprocess
import sys
from unittest import mock
from urllib.parse import quote

import botocore
import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

SERVICES = ["ecs", "logs", "s3", "ec2", "elasticfilesystem"]
REGIONS = ["us-east-1", "eu-west-1", "ap-southeast-2", "us-gov-west-1", "cn-north-1"]
METHODS = ["GET", "POST", "PUT", "DELETE", "HEAD", "PATCH"]

# Characters for paths and query strings: unreserved, reserved, percent, space, controls,
# two-, three- and four-byte UTF-8 (including an astral-plane character).
TEXT_ALPHABET = (
    "abcXYZ019-_.~" * 4
    + " !\"#$%&'()*+,/:;<=>?@[\\]^`{|}"
    + "\x01\x7f"
    + "éü€日本語😀"
)
# Header values stay ASCII (plus one non-whitespace UTF-8 character): botocore trims with
# Python's str.split(), which also splits on Unicode whitespace that HTTP does not allow anyway.
HEADER_VALUE_ALPHABET = "abcXYZ019-_.~!\"#$%&'()*+,/:;<=>?@[\\]^`{|}é" + "   \t"
HEADER_NAMES = [
    "Content-Type", "X-Amz-Target", "x-amz-meta-owner", "X-Custom", "Range", "If-Match",
    "Content-MD5", "Cache-Control", "x-amz-acl",
    # Never signed: botocore's SIGNED_HEADERS_BLACKLIST.
    "User-Agent", "Connection", "Expect", "X-Amzn-Trace-Id", "Transfer-Encoding",
]


def rand_text(rng, alphabet, lo, hi):
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(lo, hi)))


def rand_path(rng):
    segments = []
    for _ in range(rng.randint(0, 5)):
        r = rng.random()
        if r < 0.1:
            segments.append(rng.choice([".", "..", ""]))
        else:
            segments.append(rand_text(rng, TEXT_ALPHABET.replace("/", ""), 1, 8))
    path = "/" + "/".join(segments)
    if segments and rng.random() < 0.2:
        path += "/"
    return path


def rand_query(rng, unique):
    query = []
    for _ in range(rng.randint(0, 6)):
        if query and not unique and rng.random() < 0.25:
            name = rng.choice(query)[0]  # repeated key
        else:
            name = rand_text(rng, TEXT_ALPHABET, 1, 8)
        value = "" if rng.random() < 0.2 else rand_text(rng, TEXT_ALPHABET, 1, 12)
        if unique and any(n == name for n, _ in query):
            continue
        if name.lower().startswith("x-amz-"):
            continue
        query.append([name, value])
    return query


def rand_case_name(rng, name):
    return "".join(c.upper() if rng.random() < 0.3 else c.lower() for c in name)


def rand_headers(rng, max_count):
    headers = []
    for _ in range(rng.randint(0, max_count)):
        name = rng.choice(HEADER_NAMES)
        if headers and rng.random() < 0.2:
            name = rand_case_name(rng, rng.choice(headers)[0])  # repeated header, other case
        value = rand_text(rng, HEADER_VALUE_ALPHABET, 0, 16)
        if rng.random() < 0.3:
            value = "  " + value + " \t "
        headers.append([name, value])
    return headers


def rand_host(rng, service, region):
    r = rng.random()
    if r < 0.15:
        return rng.choice(["localhost:4566", "127.0.0.1:9000", "awssim:8080"])
    if service == "s3" and r < 0.5:
        return f"bucket-{rng.randint(0, 99)}.s3.{region}.amazonaws.com"
    return f"{service}.{region}.amazonaws.com"


def rand_credentials(rng):
    key = "AKIA" + "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(16))
    secret = "".join(
        rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
        for _ in range(40))
    token = ""
    if rng.random() < 0.5:
        token = "".join(rng.choice("ABCDEFabcdef0123456789+/=") for _ in range(rng.randint(16, 80)))
    return key, secret, token


def make_case(rng, case_id):
    service = rng.choice(SERVICES)
    region = rng.choice(REGIONS)
    presign = service == "s3" and rng.random() < 0.5
    key, secret, token = rand_credentials(rng)
    host = rand_host(rng, service, region)
    headers = rand_headers(rng, 2 if presign else 5)
    if rng.random() < 0.05:
        headers.append(["Host", host])  # an explicit Host header is signed as given
    is_s3 = service == "s3"
    has_body = not presign and rng.random() < 0.7
    return {
        "id": case_id,
        "mode": "presign" if presign else "sign",
        "method": rng.choice(METHODS),
        "host": host,
        "path": rand_path(rng),
        "query": rand_query(rng, unique=presign),
        "headers": headers,
        "body_hex": rng.randbytes(rng.randint(1, 64)).hex() if has_body else "",
        "access_key": key,
        "secret_key": secret,
        "token": token,
        "region": region,
        "service": service,
        # 2000-01-01 .. 2099-12-31, whole seconds.
        "epoch": rng.randint(946684800, 4102444799),
        "unsigned_payload": rng.random() < (0.5 if is_s3 else 0.15),
        "content_sha256_header": not is_s3 and rng.random() < 0.15,
        "expires": rng.randint(1, 604800),
        "scheme": rng.choice(["https", "http"]) if presign else "https",
    }


def capture_canonical_request(auth):
    """Wraps auth.canonical_request so the value botocore signed can be printed on mismatch."""
    seen = {}
    original = auth.canonical_request

    def wrapper(request):
        seen["cr"] = original(request)
        return seen["cr"]

    auth.canonical_request = wrapper
    return seen


def botocore_sign(case):
    creds = Credentials(case["access_key"], case["secret_key"], case["token"] or None)
    url = f"{case['scheme']}://{case['host']}{quote(case['path'], safe='/~')}"
    body = bytes.fromhex(case["body_hex"])
    presign = case["mode"] == "presign"
    if presign:
        params = {name: value for name, value in case["query"]}
        auth = botocore.auth.S3SigV4QueryAuth(
            creds, case["service"], case["region"], expires=case["expires"])
    else:
        params = [tuple(pair) for pair in case["query"]]
        cls = botocore.auth.S3SigV4Auth if case["service"] == "s3" else botocore.auth.SigV4Auth
        auth = cls(creds, case["service"], case["region"])
    request = AWSRequest(method=case["method"], url=url, data=body, params=params)
    for name, value in case["headers"]:
        request.headers[name] = value  # HTTPMessage appends, so repeats are kept
    configure_payload(case, request, body)

    seen = capture_canonical_request(auth)
    now = datetime.datetime.fromtimestamp(case["epoch"], datetime.timezone.utc)
    with mock.patch("botocore.auth.get_current_datetime", return_value=now.replace(tzinfo=None)):
        auth.add_auth(request)
    if presign:
        return {"url": request.url}, seen.get("cr", "")
    return {"headers": sorted(list(pair) for pair in request.headers.items())}, seen.get("cr", "")


def configure_payload(case, request, body):
    if case["service"] == "s3":
        # Explicit, so botocore's implicit rules (Content-MD5 over https) cannot decide instead.
        s3 = {"payload_signing_enabled": not case["unsigned_payload"]}
        request.context["client_config"] = Config(s3=s3)
    elif case["unsigned_payload"]:
        request.context["payload_signing_enabled"] = False
    elif case["content_sha256_header"]:
        # botocore has no option for this; a caller-set header has the same effect.
        request.headers["X-Amz-Content-SHA256"] = hashlib.sha256(body).hexdigest()


def run_tool(tool, cases):
    stdin = "".join(json.dumps(case, ensure_ascii=False) + "\n" for case in cases)
    proc = subprocess.run([tool], input=stdin.encode("utf-8"), capture_output=True, timeout=240)
    if proc.returncode != 0:
        sys.exit(f"sigv4_tool failed ({proc.returncode}): {proc.stderr.decode(errors='replace')}")
    results = [json.loads(line) for line in proc.stdout.decode("utf-8").splitlines()]
    if len(results) != len(cases):
        sys.exit(f"sigv4_tool answered {len(results)} of {len(cases)} cases")
    return results


def ours_comparable(case, result):
    if case["mode"] == "presign":
        return {"url": result["url"]}
    return {"headers": sorted(result["headers"])}


def report(mismatches):
    for case, theirs, ours, their_cr, our_cr in mismatches[:5]:
        print("=" * 100)
        print("case:", json.dumps(case, ensure_ascii=False))
        print("botocore:", json.dumps(theirs, ensure_ascii=False))
        print("ours:    ", json.dumps(ours, ensure_ascii=False))
        print("--- botocore canonical request ---\n" + their_cr)
        print("--- our canonical request ---\n" + our_cr)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tool")
    parser.add_argument("--cases", type=int, default=4000)
    parser.add_argument("--seed", type=int, default=20240229)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    cases = [make_case(rng, i) for i in range(args.cases)]
    results = run_tool(args.tool, cases)

    mismatches = []
    for case, result in zip(cases, results):
        theirs, their_cr = botocore_sign(case)
        ours = ours_comparable(case, result)
        if theirs != ours:
            mismatches.append((case, theirs, ours, their_cr, result.get("canonical_request", "")))

    presigned = sum(case["mode"] == "presign" for case in cases)
    agreed = len(cases) - len(mismatches)
    print(f"botocore {botocore.__version__}, seed {args.seed}: {agreed}/{len(cases)} agree "
          f"({len(cases) - presigned} signed headers, {presigned} presigned URLs)")
    if mismatches:
        report(mismatches)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
