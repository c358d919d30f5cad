#!/usr/bin/env python3
"""SigV4 signs per second: the project's signer against botocore's, on the same request, one run.

Usage: sigv4_compare.py PATH/TO/sigv4_bench [--seconds S]
"""

import argparse
import json
import subprocess
import time

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials


def run_task_body():
    body = ('{"cluster":"sockerless","taskDefinition":"sockerless-3f2a:1","launchType":"FARGATE",'
            '"networkConfiguration":{"awsvpcConfiguration":{"subnets":["subnet-0a1b2c3d"],'
            '"securityGroups":["sg-0a1b2c3d"],"assignPublicIp":"DISABLED"}},"overrides":'
            '{"containerOverrides":[{"name":"main","environment":[')
    while len(body) < 2000:
        body += '{"name":"VAR","value":"some value of moderate length"},'
    return body + '{"name":"LAST","value":"x"}]}]}}'


def botocore_signs_per_second(seconds):
    creds = Credentials("ASIAEXAMPLEEXAMPLE01", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                        "T" * 400)
    signer = SigV4Auth(creds, "ecs", "us-east-1")
    body = run_task_body()
    headers = {"Content-Type": "application/x-amz-json-1.1",
               "X-Amz-Target": "AmazonEC2ContainerServiceV20141113.RunTask"}
    signs = 0
    start = time.perf_counter()
    deadline = start + seconds
    while time.perf_counter() < deadline:
        for _ in range(100):
            req = AWSRequest(method="POST", url="https://ecs.us-east-1.amazonaws.com/",
                             data=body, headers=dict(headers))
            signer.add_auth(req)
        signs += 100
    return signs / (time.perf_counter() - start)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("bench")
    parser.add_argument("--seconds", type=float, default=2.0)
    args = parser.parse_args()
    ours = json.loads(subprocess.run([args.bench, "--seconds", str(args.seconds)], check=True,
                                     capture_output=True, text=True).stdout)
    theirs = botocore_signs_per_second(args.seconds)
    print("sigv4 signs/s  sockerless %.0f  botocore %.0f  ratio %.1fx"
          % (ours["signs_per_second"], theirs, ours["signs_per_second"] / theirs))


if __name__ == "__main__":
    main()
