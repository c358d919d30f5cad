#!/usr/bin/env python3
"""Conformance of sockerless-awssim's EC2 (query) and EFS (REST-JSON) endpoints, checked with
boto3 and the aws CLI.

Usage: awssim_ec2_efs_test.py PATH/TO/sockerless-awssim

Starts the simulator on a free port with a private state dir (awssim_harness), drives every
implemented EC2 and EFS operation through boto3 and the CLI, and checks shapes, error codes,
messages and HTTP statuses, including the authentication failures in each service's own terms.
"""

import hashlib
import json
import os
import stat
import sys
import unittest

import botocore.auth
import requests
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import awssim_harness  # noqa: E402

SIM_BINARY = None
REGION = "us-east-1"
ACCOUNT = "000000000000"
ZONES = ["us-east-1" + z for z in "abcdef"]
AUTH_FAILURE = "AWS was not able to validate the provided access credentials"


def deterministic_id(prefix, seed):
    """The simulator's documented id derivation (docs/awssim.md)."""
    return "%s-%s" % (prefix, hashlib.sha256(("sockerless-awssim/" + seed).encode()).hexdigest()[:17])


DEFAULT_VPC = deterministic_id("vpc", REGION + "/default-vpc")
DEFAULT_SG = deterministic_id("sg", REGION + "/default-vpc/default-sg")
SUBNETS = [deterministic_id("subnet", REGION + "/default-vpc/" + z) for z in ZONES]


class SimTestCase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sim = awssim_harness.AwsSim(SIM_BINARY, region=REGION).start()

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()

    def assertClientError(self, call, code, status=400, message=None, **kwargs):
        with self.assertRaises(ClientError) as ctx:
            call(**kwargs)
        err = ctx.exception.response
        self.assertEqual(err["Error"]["Code"], code, err)
        self.assertEqual(err["ResponseMetadata"]["HTTPStatusCode"], status, err)
        self.assertTrue(err["ResponseMetadata"]["RequestId"], err)
        if message is not None:
            self.assertEqual(err["Error"]["Message"], message)
        return err

    def cli(self, *args):
        out = self.sim.aws(*args)
        self.assertEqual(out.returncode, 0, out.stderr)
        return json.loads(out.stdout) if out.stdout.strip() else {}

    def cli_error(self, *args):
        out = self.sim.aws(*args)
        self.assertNotEqual(out.returncode, 0, out.stdout)
        return out.stderr


class Ec2Test(SimTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.ec2 = cls.sim.client("ec2")

    def test_default_vpc(self):
        out = self.ec2.describe_vpcs()
        self.assertEqual(len(out["Vpcs"]), 1)
        vpc = out["Vpcs"][0]
        self.assertEqual(vpc["VpcId"], DEFAULT_VPC)
        self.assertEqual(vpc["CidrBlock"], "172.31.0.0/16")
        self.assertTrue(vpc["IsDefault"])
        self.assertEqual(vpc["State"], "available")
        self.assertEqual(vpc["OwnerId"], ACCOUNT)
        self.assertEqual(vpc["InstanceTenancy"], "default")
        self.assertEqual(vpc["CidrBlockAssociationSet"][0]["CidrBlockState"]["State"],
                         "associated")
        self.assertNotIn("Tags", vpc)
        self.assertEqual(out["ResponseMetadata"]["HTTPHeaders"]["content-type"],
                         "text/xml;charset=UTF-8")
        self.assertTrue(out["ResponseMetadata"]["RequestId"])
        self.assertEqual(self.ec2.describe_vpcs(VpcIds=[DEFAULT_VPC])["Vpcs"][0]["VpcId"],
                         DEFAULT_VPC)
        filtered = self.ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])
        self.assertEqual(len(filtered["Vpcs"]), 1)
        self.assertEqual(self.ec2.describe_vpcs(
            Filters=[{"Name": "isDefault", "Values": ["false"]}])["Vpcs"], [])
        self.assertClientError(self.ec2.describe_vpcs, "InvalidVpcID.NotFound",
                               message="The vpc ID 'vpc-0123456789abcdef0' does not exist",
                               VpcIds=["vpc-0123456789abcdef0"])

    def test_default_subnets(self):
        subnets = self.ec2.describe_subnets()["Subnets"]
        self.assertEqual([s["AvailabilityZone"] for s in subnets], ZONES)
        self.assertEqual([s["SubnetId"] for s in subnets], SUBNETS)
        self.assertEqual([s["CidrBlock"] for s in subnets],
                         ["172.31.%d.0/20" % (16 * i) for i in range(6)])
        for s in subnets:
            self.assertEqual(s["VpcId"], DEFAULT_VPC)
            self.assertTrue(s["DefaultForAz"])
            self.assertTrue(s["MapPublicIpOnLaunch"])
            self.assertEqual(s["AvailableIpAddressCount"], 4091)
            self.assertEqual(s["State"], "available")
            self.assertEqual(s["SubnetArn"],
                             "arn:aws:ec2:%s:%s:subnet/%s" % (REGION, ACCOUNT, s["SubnetId"]))

    def test_subnet_filters_and_ids(self):
        out = self.ec2.describe_subnets(Filters=[
            {"Name": "vpc-id", "Values": [DEFAULT_VPC]},
            {"Name": "default-for-az", "Values": ["true"]},
            {"Name": "availability-zone", "Values": ["us-east-1b", "us-east-1e"]}])
        self.assertEqual([s["SubnetId"] for s in out["Subnets"]], [SUBNETS[1], SUBNETS[4]])
        out = self.ec2.describe_subnets(SubnetIds=[SUBNETS[3]])
        self.assertEqual([s["AvailabilityZone"] for s in out["Subnets"]], ["us-east-1d"])
        self.assertClientError(
            self.ec2.describe_subnets, "InvalidSubnetID.NotFound",
            message="The subnet ID 'subnet-00000000000000000' does not exist",
            SubnetIds=[SUBNETS[0], "subnet-00000000000000000"])
        self.assertClientError(self.ec2.describe_subnets, "InvalidParameterValue",
                               message="The filter 'no-such-filter' is invalid",
                               Filters=[{"Name": "no-such-filter", "Values": ["x"]}])

    def test_subnet_pagination(self):
        first = self.ec2.describe_subnets(MaxResults=5)
        self.assertEqual(len(first["Subnets"]), 5)
        self.assertIn("NextToken", first)
        pages = self.ec2.get_paginator("describe_subnets").paginate(
            PaginationConfig={"PageSize": 5})
        self.assertEqual([s["SubnetId"] for p in pages for s in p["Subnets"]], SUBNETS)
        unchecked = self.sim.client("ec2", parameter_validation=False)
        self.assertClientError(unchecked.describe_subnets, "InvalidParameterValue", MaxResults=2)
        self.assertClientError(self.ec2.describe_subnets, "InvalidPaginationToken",
                               NextToken="garbage")

    def test_default_security_group(self):
        groups = self.ec2.describe_security_groups(GroupNames=["default"])["SecurityGroups"]
        self.assertEqual(len(groups), 1)
        sg = groups[0]
        self.assertEqual(sg["GroupId"], DEFAULT_SG)
        self.assertEqual(sg["GroupName"], "default")
        self.assertEqual(sg["Description"], "default VPC security group")
        self.assertEqual(sg["VpcId"], DEFAULT_VPC)
        self.assertEqual(sg["IpPermissions"], [{
            "IpProtocol": "-1", "IpRanges": [], "Ipv6Ranges": [], "PrefixListIds": [],
            "UserIdGroupPairs": [{"UserId": ACCOUNT, "GroupId": DEFAULT_SG}]}])
        self.assertEqual(sg["IpPermissionsEgress"], [{
            "IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}], "Ipv6Ranges": [],
            "PrefixListIds": [], "UserIdGroupPairs": []}])
        by_filter = self.ec2.describe_security_groups(Filters=[
            {"Name": "group-id", "Values": [DEFAULT_SG]},
            {"Name": "vpc-id", "Values": [DEFAULT_VPC]}])
        self.assertEqual([g["GroupId"] for g in by_filter["SecurityGroups"]], [DEFAULT_SG])
        self.assertClientError(
            self.ec2.describe_security_groups, "InvalidGroup.NotFound",
            message="The security group 'web' does not exist in default VPC '%s'" % DEFAULT_VPC,
            GroupNames=["web"])
        self.assertClientError(
            self.ec2.describe_security_groups, "InvalidGroup.NotFound",
            message="The security group 'sg-00000000000000000' does not exist",
            GroupIds=["sg-00000000000000000"])
        self.assertClientError(self.ec2.describe_security_groups, "InvalidGroupId.Malformed",
                               GroupIds=["default"])

    def test_availability_zones_and_interfaces(self):
        zones = self.ec2.describe_availability_zones()["AvailabilityZones"]
        self.assertEqual([z["ZoneName"] for z in zones], ZONES)
        self.assertEqual({z["State"] for z in zones}, {"available"})
        self.assertEqual(zones[0]["RegionName"], REGION)
        one = self.ec2.describe_availability_zones(
            Filters=[{"Name": "zone-name", "Values": ["us-east-1c"]}])["AvailabilityZones"]
        self.assertEqual([z["ZoneName"] for z in one], ["us-east-1c"])
        self.assertEqual(self.ec2.describe_network_interfaces(
            Filters=[{"Name": "subnet-id", "Values": [SUBNETS[0]]}])["NetworkInterfaces"], [])
        self.assertClientError(self.ec2.describe_network_interfaces,
                               "InvalidNetworkInterfaceID.NotFound",
                               NetworkInterfaceIds=["eni-00000000000000000"])

    def test_tags(self):
        self.ec2.create_tags(Resources=[SUBNETS[2]], Tags=[{"Key": "tier", "Value": "private"}])
        try:
            out = self.ec2.describe_subnets(
                Filters=[{"Name": "tag:tier", "Values": ["priv*"]}])["Subnets"]
            self.assertEqual([s["SubnetId"] for s in out], [SUBNETS[2]])
            self.assertEqual(out[0]["Tags"], [{"Key": "tier", "Value": "private"}])
        finally:
            self.ec2.delete_tags(Resources=[SUBNETS[2]], Tags=[{"Key": "tier"}])
        self.assertEqual(self.ec2.describe_subnets(
            Filters=[{"Name": "tag-key", "Values": ["tier"]}])["Subnets"], [])
        self.assertClientError(self.ec2.create_tags, "InvalidSubnetID.NotFound",
                               Resources=["subnet-00000000000000000"],
                               Tags=[{"Key": "a", "Value": "b"}])

    def test_dry_run(self):
        self.assertClientError(self.ec2.describe_vpcs, "DryRunOperation", status=412,
                               DryRun=True)

    def test_get_with_query_string(self):
        url = self.sim.url + "/?Action=DescribeSubnets&Version=2016-11-15&SubnetId.1=" + SUBNETS[5]
        request = AWSRequest(method="GET", url=url)
        botocore.auth.SigV4Auth(Credentials("test", "test"), "ec2", REGION).add_auth(request)
        res = requests.get(url, headers=dict(request.headers), timeout=10)
        self.assertEqual(res.status_code, 200, res.text)
        self.assertIn('<DescribeSubnetsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">',
                      res.text)
        self.assertIn("<subnetId>%s</subnetId>" % SUBNETS[5], res.text)

    def test_unknown_action(self):
        body = "Action=RunInstances&Version=2016-11-15"
        request = AWSRequest(method="POST", url=self.sim.url + "/", data=body, headers={
            "Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
        botocore.auth.SigV4Auth(Credentials("test", "test"), "ec2", REGION).add_auth(request)
        res = requests.post(self.sim.url + "/", data=body, headers=dict(request.headers),
                            timeout=10)
        self.assertEqual(res.status_code, 400)
        self.assertIn("<Code>InvalidAction</Code>", res.text)
        self.assertIn("<RequestID>", res.text)

    def test_wrong_secret_and_unknown_key(self):
        self.assertClientError(self.sim.client("ec2", secret="wrong").describe_vpcs,
                               "AuthFailure", status=401, message=AUTH_FAILURE)
        self.assertClientError(self.sim.client("ec2", key="AKIDUNKNOWN").describe_vpcs,
                               "AuthFailure", status=401, message=AUTH_FAILURE)

    def test_aws_cli(self):
        out = self.cli("ec2", "describe-subnets", "--filters",
                       "Name=default-for-az,Values=true", "Name=availability-zone,Values=us-east-1a")
        self.assertEqual([s["SubnetId"] for s in out["Subnets"]], [SUBNETS[0]])
        out = self.cli("ec2", "describe-security-groups", "--group-names", "default")
        self.assertEqual(out["SecurityGroups"][0]["GroupId"], DEFAULT_SG)
        out = self.cli("ec2", "describe-vpcs")
        self.assertEqual(out["Vpcs"][0]["VpcId"], DEFAULT_VPC)
        err = self.cli_error("ec2", "describe-subnets", "--subnet-ids", "subnet-00000000000000000")
        self.assertIn("An error occurred (InvalidSubnetID.NotFound) when calling the "
                      "DescribeSubnets operation: The subnet ID 'subnet-00000000000000000' does "
                      "not exist", err)
        out = self.sim.aws("ec2", "describe-vpcs", env=self.sim.cli_env(secret="wrong"))
        self.assertNotEqual(out.returncode, 0)
        self.assertIn("(AuthFailure)", out.stderr)


class EfsTest(SimTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.efs = cls.sim.client("efs")

    def fs_dir(self, fs_id, *parts):
        return os.path.join(self.sim.state_dir, "efs", fs_id, *parts)

    def create_fs(self, token, **kwargs):
        return self.efs.create_file_system(CreationToken=token, **kwargs)

    def test_create_and_describe_file_system(self):
        out = self.create_fs("create-1", Tags=[{"Key": "Name", "Value": "agents"}],
                             Encrypted=True)
        self.assertEqual(out["ResponseMetadata"]["HTTPStatusCode"], 201)
        fs_id = out["FileSystemId"]
        self.assertRegex(fs_id, r"^fs-[0-9a-f]{17}$")
        self.assertEqual(out["FileSystemArn"], "arn:aws:elasticfilesystem:%s:%s:file-system/%s" %
                         (REGION, ACCOUNT, fs_id))
        self.assertEqual(out["OwnerId"], ACCOUNT)
        self.assertEqual(out["LifeCycleState"], "available")
        self.assertEqual(out["Name"], "agents")
        self.assertEqual(out["PerformanceMode"], "generalPurpose")
        self.assertEqual(out["ThroughputMode"], "bursting")
        self.assertTrue(out["Encrypted"])
        self.assertEqual(out["NumberOfMountTargets"], 0)
        self.assertIn("Value", out["SizeInBytes"])
        self.assertTrue(os.path.isdir(self.fs_dir(fs_id)))

        dup = self.assertClientError(
            self.create_fs, "FileSystemAlreadyExists", status=409,
            message="File system '%s' already exists with creation token 'create-1'" % fs_id,
            token="create-1")
        self.assertEqual(dup["FileSystemId"], fs_id)

        described = self.efs.describe_file_systems(FileSystemId=fs_id)["FileSystems"]
        self.assertEqual([f["FileSystemId"] for f in described], [fs_id])
        by_token = self.efs.describe_file_systems(CreationToken="create-1")["FileSystems"]
        self.assertEqual([f["FileSystemId"] for f in by_token], [fs_id])
        self.assertEqual(self.efs.describe_file_systems(CreationToken="none")["FileSystems"], [])
        self.assertClientError(
            self.efs.describe_file_systems, "FileSystemNotFound", status=404,
            message="File system 'fs-0123456789abcdef0' does not exist.",
            FileSystemId="fs-0123456789abcdef0")

    def test_describe_pagination(self):
        ids = [self.create_fs("page-%d" % i)["FileSystemId"] for i in range(3)]
        first = self.efs.describe_file_systems(MaxItems=1)
        self.assertEqual(len(first["FileSystems"]), 1)
        self.assertIn("NextMarker", first)
        pages = self.efs.get_paginator("describe_file_systems").paginate(
            PaginationConfig={"PageSize": 2})
        seen = [f["FileSystemId"] for p in pages for f in p["FileSystems"]]
        for fs_id in ids:
            self.assertIn(fs_id, seen)
        self.assertEqual(len(seen), len(set(seen)))

    def test_access_points(self):
        fs_id = self.create_fs("ap-1")["FileSystemId"]
        out = self.efs.create_access_point(
            FileSystemId=fs_id, ClientToken="ap-1-token",
            PosixUser={"Uid": 1000, "Gid": 1000, "SecondaryGids": [27]},
            RootDirectory={"Path": "/agent/bin", "CreationInfo": {
                "OwnerUid": 1000, "OwnerGid": 1000, "Permissions": "0750"}},
            Tags=[{"Key": "Name", "Value": "agent"}])
        ap_id = out["AccessPointId"]
        self.assertRegex(ap_id, r"^fsap-[0-9a-f]{17}$")
        self.assertEqual(out["AccessPointArn"],
                         "arn:aws:elasticfilesystem:%s:%s:access-point/%s" %
                         (REGION, ACCOUNT, ap_id))
        self.assertEqual(out["FileSystemId"], fs_id)
        self.assertEqual(out["Name"], "agent")
        self.assertEqual(out["PosixUser"], {"Uid": 1000, "Gid": 1000, "SecondaryGids": [27]})
        self.assertEqual(out["RootDirectory"]["Path"], "/agent/bin")
        self.assertEqual(out["RootDirectory"]["CreationInfo"]["Permissions"], "0750")
        self.assertEqual(out["LifeCycleState"], "available")
        st = os.stat(self.fs_dir(fs_id, "agent", "bin"))
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o750)
        if os.geteuid() == 0:
            self.assertEqual((st.st_uid, st.st_gid), (1000, 1000))

        dup = self.assertClientError(self.efs.create_access_point, "AccessPointAlreadyExists",
                                     status=409, FileSystemId=fs_id, ClientToken="ap-1-token")
        self.assertEqual(dup["AccessPointId"], ap_id)

        second = self.efs.create_access_point(FileSystemId=fs_id)["AccessPointId"]
        listed = self.efs.describe_access_points(FileSystemId=fs_id)["AccessPoints"]
        self.assertEqual([a["AccessPointId"] for a in listed], [ap_id, second])
        self.assertEqual(listed[1]["RootDirectory"], {"Path": "/"})
        one = self.efs.describe_access_points(AccessPointId=ap_id)["AccessPoints"]
        self.assertEqual([a["AccessPointId"] for a in one], [ap_id])

        self.assertClientError(self.efs.delete_file_system, "FileSystemInUse", status=409,
                               FileSystemId=fs_id)
        self.assertEqual(self.efs.delete_access_point(AccessPointId=second)[
            "ResponseMetadata"]["HTTPStatusCode"], 204)
        self.efs.delete_access_point(AccessPointId=ap_id)
        self.assertClientError(self.efs.describe_access_points, "AccessPointNotFound",
                               status=404,
                               message="Access point '%s' does not exist." % ap_id,
                               AccessPointId=ap_id)
        self.assertClientError(self.efs.delete_access_point, "AccessPointNotFound", status=404,
                               AccessPointId=ap_id)
        deleted = self.efs.delete_file_system(FileSystemId=fs_id)
        self.assertEqual(deleted["ResponseMetadata"]["HTTPStatusCode"], 204)
        self.assertFalse(os.path.exists(self.fs_dir(fs_id)))
        self.assertClientError(self.efs.delete_file_system, "FileSystemNotFound", status=404,
                               FileSystemId=fs_id)

    def test_access_point_errors(self):
        fs_id = self.create_fs("ap-errors")["FileSystemId"]
        self.assertClientError(self.efs.create_access_point, "FileSystemNotFound", status=404,
                               FileSystemId="fs-0000000000000000a")
        self.assertClientError(self.efs.create_access_point, "BadRequest",
                               FileSystemId=fs_id, RootDirectory={"Path": "/a/.hidden"})
        self.assertClientError(self.efs.describe_access_points, "FileSystemNotFound",
                               status=404, FileSystemId="fs-0000000000000000a")
        self.assertClientError(self.efs.describe_access_points, "BadRequest",
                               FileSystemId=fs_id, AccessPointId="fsap-0000000000000000a")

    def test_tags(self):
        fs = self.create_fs("tags-1")
        arn = fs["FileSystemArn"]
        self.efs.tag_resource(ResourceId=arn, Tags=[{"Key": "a", "Value": "1"},
                                                     {"Key": "b", "Value": "2"}])
        self.efs.untag_resource(ResourceId=fs["FileSystemId"], TagKeys=["a"])
        self.assertEqual(self.efs.list_tags_for_resource(ResourceId=fs["FileSystemId"])["Tags"],
                         [{"Key": "b", "Value": "2"}])
        self.assertClientError(self.efs.list_tags_for_resource, "AccessPointNotFound",
                               status=404, ResourceId="fsap-0000000000000000b")
        self.assertClientError(self.efs.tag_resource, "BadRequest", ResourceId=arn,
                               Tags=[{"Key": "aws:reserved", "Value": "x"}])

    def test_admin_route_stages_files(self):
        fs_id = self.create_fs("admin-1")["FileSystemId"]
        url = "%s/_awssim/efs/%s/agent/sockerless-agent" % (self.sim.url, fs_id)
        res = requests.put(url + "?mode=0755", data=b"\x7fELF-not-really", timeout=10)
        self.assertEqual(res.status_code, 200, res.text)
        self.assertEqual(res.json()["Bytes"], 15)
        path = self.fs_dir(fs_id, "agent", "sockerless-agent")
        self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o755)
        self.assertEqual(requests.get(url, timeout=10).content, b"\x7fELF-not-really")
        escape = "%s/_awssim/efs/%s/a/%%2e%%2e/%%2e%%2e/escaped" % (self.sim.url, fs_id)
        self.assertEqual(requests.put(escape, data=b"x", timeout=10).status_code, 400)
        self.assertFalse(os.path.exists(os.path.join(self.sim.state_dir, "efs", "escaped")))
        missing = "%s/_awssim/efs/fs-0000000000000000c/x" % self.sim.url
        self.assertEqual(requests.put(missing, data=b"x", timeout=10).status_code, 404)

    def test_staging_takes_large_files_and_the_apis_keep_16_mib(self):
        # A sanitizer build's agent is over 100 MiB: the staging route takes it whole.
        fs_id = self.create_fs("admin-large")["FileSystemId"]
        big = b"\x7f" * (20 * 1024 * 1024)
        url = "%s/_awssim/efs/%s/agent/large" % (self.sim.url, fs_id)
        res = requests.put(url, data=big, timeout=60)
        self.assertEqual(res.status_code, 200, res.text)
        self.assertEqual(os.path.getsize(self.fs_dir(fs_id, "agent", "large")), len(big))
        # An AWS API refuses a body over 16 MiB with 413 naming the request, before reading it.
        refused = requests.put("%s/some-bucket/key" % self.sim.url, data=big, timeout=60)
        self.assertEqual(refused.status_code, 413)
        self.assertIn("PUT /some-bucket/key exceeds the 16 MiB limit", refused.text)
        # and keeps serving.
        self.assertEqual(requests.get(url, timeout=60).content, big)

    def test_wrong_secret_and_unknown_key(self):
        self.assertClientError(self.sim.client("efs", secret="wrong").describe_file_systems,
                               "InvalidSignatureException", status=403)
        self.assertClientError(self.sim.client("efs", key="AKIDUNKNOWN").describe_file_systems,
                               "UnrecognizedClientException", status=403,
                               message="The security token included in the request is invalid.")

    def test_aws_cli(self):
        out = self.cli("efs", "create-file-system", "--creation-token", "cli-1")
        fs_id = out["FileSystemId"]
        out = self.cli("efs", "create-access-point", "--file-system-id", fs_id,
                       "--posix-user", "Uid=0,Gid=0",
                       "--root-directory",
                       "Path=/cli,CreationInfo={OwnerUid=0,OwnerGid=0,Permissions=755}")
        self.assertEqual(out["RootDirectory"]["Path"], "/cli")
        self.assertTrue(os.path.isdir(self.fs_dir(fs_id, "cli")))
        out = self.cli("efs", "describe-file-systems", "--file-system-id", fs_id)
        self.assertEqual(out["FileSystems"][0]["CreationToken"], "cli-1")
        err = self.cli_error("efs", "describe-file-systems", "--file-system-id",
                             "fs-0123456789abcdef0")
        self.assertIn("An error occurred (FileSystemNotFound) when calling the "
                      "DescribeFileSystems operation: File system 'fs-0123456789abcdef0' does "
                      "not exist.", err)


class EfsRestartTest(unittest.TestCase):
    """File systems, access points and staged files survive a restart on the same state dir."""

    def test_restart_keeps_file_systems(self):
        sim = awssim_harness.AwsSim(SIM_BINARY, region=REGION).start()
        try:
            efs = sim.client("efs")
            fs_id = efs.create_file_system(CreationToken="restart")["FileSystemId"]
            ap_id = efs.create_access_point(FileSystemId=fs_id)["AccessPointId"]
            requests.put("%s/_awssim/efs/%s/agent" % (sim.url, fs_id), data=b"bin",
                         timeout=10).raise_for_status()
            sim.stop(keep_state=True)
            sim.start()
            efs = sim.client("efs")
            self.assertEqual(efs.describe_file_systems(FileSystemId=fs_id)["FileSystems"][0][
                "CreationToken"], "restart")
            self.assertEqual(efs.describe_access_points(AccessPointId=ap_id)["AccessPoints"][0][
                "FileSystemId"], fs_id)
            self.assertEqual(requests.get("%s/_awssim/efs/%s/agent" % (sim.url, fs_id),
                                          timeout=10).content, b"bin")
        finally:
            sim.stop()


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: awssim_ec2_efs_test.py PATH/TO/sockerless-awssim")
    SIM_BINARY = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
