#!/usr/bin/env python3
"""Benchmarks of sockerless-awssim's task path, with moto as the reference for request rates.

Usage: awssim_bench.py PATH/TO/sockerless-awssim [--tasks N] [--workers W] [--seconds S]
                       [--provisioning-delay MS]

1. RunTask -> RUNNING latency: N tasks (`sleep 60` on the host) run one after another; each is
   timed from just before RunTask until DescribeTasks (polled every millisecond) first reports
   RUNNING. Printed: median and p99, next to the configured provisioning delay they include.
2. DescribeTasks calls/s: W client processes, each on one keep-alive connection, send the same
   signed DescribeTasks request for S seconds, first to the simulator, then to moto_server
   (moto 5, started here on a free port, its task pinned in place) in the same run. Printed:
   both rates and their ratio.

Not registered with ctest: figures depend on the machine. Everything listens on 127.0.0.1 and
is stopped by its PID.
"""

import argparse
import http.client
import json
import multiprocessing
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse

import boto3
import botocore.auth
import requests
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

REGION = "us-east-1"
TARGET = "AmazonEC2ContainerServiceV20141113"
LISTENING = "sockerless-awssim listening on "
NETWORK = {"awsvpcConfiguration": {"subnets": ["subnet-1"], "securityGroups": ["sg-1"]}}


def client(url, service="ecs"):
    return boto3.client(service, endpoint_url=url, region_name=REGION, aws_access_key_id="test",
                        aws_secret_access_key="test",
                        config=Config(retries={"total_max_attempts": 1}))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_sim(binary, tmp, delay_ms):
    subnet = "127.%d.0.0/16" % random.randint(100, 250)
    proc = subprocess.Popen([binary, "--listen", "127.0.0.1:0", "--state-dir",
                             os.path.join(tmp, "state"), "--task-subnet", subnet,
                             "--provisioning-delay", str(delay_ms), "--container-mode", "host"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = proc.stdout.readline().strip()
    if not line.startswith(LISTENING):
        proc.kill()
        raise RuntimeError("simulator did not start: %r" % line)
    return proc, line[len(LISTENING):]


def start_moto():
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p",
                             str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = "http://127.0.0.1:%d" % port
    deadline = time.monotonic() + 30
    while True:
        try:
            requests.get(url + "/moto-api/", timeout=1)
            return proc, url
        except requests.ConnectionError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                raise RuntimeError("moto_server did not start")
            time.sleep(0.05)


def stop(proc):
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def prepare(ecs, family):
    """A cluster and a task definition both peers accept (moto wants container memory)."""
    ecs.create_cluster(clusterName="bench")
    return ecs.register_task_definition(
        family=family, networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256",
        memory="512", containerDefinitions=[{"name": "app", "image": "busybox", "memory": 128,
                                             "command": ["sleep", "60"]}],
    )["taskDefinition"]["taskDefinitionArn"]


def run_latency(url, tasks):
    ecs = client(url)
    td = prepare(ecs, "latency")
    samples, arns = [], []
    for _ in range(tasks):
        start = time.perf_counter()
        arn = ecs.run_task(cluster="bench", taskDefinition=td, launchType="FARGATE",
                           networkConfiguration=NETWORK)["tasks"][0]["taskArn"]
        while ecs.describe_tasks(cluster="bench", tasks=[arn])["tasks"][0]["lastStatus"] \
                != "RUNNING":
            time.sleep(0.001)
        samples.append(time.perf_counter() - start)
        arns.append(arn)
    for arn in arns:
        ecs.stop_task(cluster="bench", task=arn)
    return samples


def signed_describe(url, task_arn):
    """One signed DescribeTasks request (valid for minutes, which the runs fit in)."""
    body = json.dumps({"cluster": "bench", "tasks": [task_arn]})
    req = AWSRequest(method="POST", url=url + "/", data=body, headers={
        "X-Amz-Target": TARGET + ".DescribeTasks",
        "Content-Type": "application/x-amz-json-1.1"})
    botocore.auth.SigV4Auth(Credentials("test", "test"), "ecs", REGION).add_auth(req)
    return body, dict(req.headers)


def hammer(url, body, headers, seconds, counts):
    netloc = urllib.parse.urlsplit(url).netloc
    conn = http.client.HTTPConnection(netloc, timeout=30)
    done = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        conn.request("POST", "/", body=body, headers=headers)
        res = conn.getresponse()
        res.read()
        if res.status != 200:
            raise RuntimeError("DescribeTasks answered %d" % res.status)
        done += 1
    conn.close()
    counts.put(done)


def calls_per_second(url, task_arn, workers, seconds):
    body, headers = signed_describe(url, task_arn)
    hammer(url, body, headers, 0.5, multiprocessing.Queue())  # warm-up
    counts = multiprocessing.Queue()
    procs = [multiprocessing.Process(target=hammer, args=(url, body, headers, seconds, counts))
             for _ in range(workers)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    return sum(counts.get() for _ in procs) / seconds


def percentile(samples, p):
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(p / 100.0 * (len(ordered) - 1))))]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("binary")
    parser.add_argument("--tasks", type=int, default=50)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--provisioning-delay", type=int, default=50)
    args = parser.parse_args()

    tmp = tempfile.mkdtemp(prefix="awssim-bench-")
    sim, sim_url = start_sim(os.path.abspath(args.binary), tmp, args.provisioning_delay)
    moto = None
    try:
        samples = run_latency(sim_url, args.tasks)
        print("RunTask -> RUNNING over %d tasks (provisioning delay %d ms): median %.1f ms, "
              "p99 %.1f ms, min %.1f ms" % (
                  args.tasks, args.provisioning_delay, statistics.median(samples) * 1000,
                  percentile(samples, 99) * 1000, min(samples) * 1000))

        ecs = client(sim_url)
        td = prepare(ecs, "rate")
        arn = ecs.run_task(cluster="bench", taskDefinition=td, launchType="FARGATE",
                           networkConfiguration=NETWORK)["tasks"][0]["taskArn"]
        sim_rate = calls_per_second(sim_url, arn, args.workers, args.seconds)
        ecs.stop_task(cluster="bench", task=arn)

        moto, moto_url = start_moto()
        requests.post(moto_url + "/moto-api/state-manager/set-transition", timeout=10,
                      data=json.dumps({"model_name": "ecs::task", "transition": {
                          "progression": "manual", "times": 1000000}}))
        mecs = client(moto_url)
        mtd = prepare(mecs, "rate")
        # moto checks the subnet against its EC2: use its default VPC's.
        subnet = client(moto_url, "ec2").describe_subnets()["Subnets"][0]["SubnetId"]
        network = {"awsvpcConfiguration": {"subnets": [subnet], "securityGroups": ["sg-1"]}}
        marn = mecs.run_task(cluster="bench", taskDefinition=mtd, launchType="FARGATE",
                             networkConfiguration=network)["tasks"][0]["taskArn"]
        moto_rate = calls_per_second(moto_url, marn, args.workers, args.seconds)
        print("DescribeTasks, %d keep-alive clients for %.0f s: sockerless-awssim %.0f calls/s, "
              "moto %.0f calls/s, ratio %.1fx" % (args.workers, args.seconds, sim_rate,
                                                  moto_rate, sim_rate / moto_rate))
    finally:
        stop(sim)
        if moto is not None:
            stop(moto)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
