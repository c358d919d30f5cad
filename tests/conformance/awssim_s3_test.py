#!/usr/bin/env python3
"""Conformance of sockerless-awssim's S3 and STS endpoints, checked with boto3 and the aws CLI.

Usage: awssim_s3_test.py PATH/TO/sockerless-awssim

Starts simulators on free ports with private state dirs and drives every implemented S3
operation (path-style and virtual-host style, presigned URLs, bucket policies enforced against
role sessions) and STS GetCallerIdentity through boto3 and the aws CLI, comparing shapes, error
codes, messages and HTTP statuses with what AWS answers.
"""

import base64
import datetime
import hashlib
import json
import os
import socket
import sys
import tempfile
import unittest
import uuid
from unittest import mock

import botocore.auth
import requests
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from awssim_harness import AwsSim  # noqa: E402

SIM_BINARY = None
TASK_ROLE = "arn:aws:iam::000000000000:role/sockerless-task"
REAL_GETADDRINFO = socket.getaddrinfo


def name(prefix):
    return "%s-%s" % (prefix, uuid.uuid4().hex[:12])


def resolve_localhost_names(host, *args, **kwargs):
    """*.localhost resolves to the loopback address (RFC 6761), whatever /etc/hosts says."""
    if isinstance(host, str) and host.endswith(".localhost"):
        host = "127.0.0.1"
    return REAL_GETADDRINFO(host, *args, **kwargs)


class S3TestCase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sim = AwsSim(SIM_BINARY).start()
        cls.s3 = cls.sim.client("s3", s3={"addressing_style": "path"})

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()

    def assertClientError(self, call, code, status, message=None, **kwargs):
        with self.assertRaises(ClientError) as ctx:
            call(**kwargs)
        err = ctx.exception.response
        self.assertEqual(err["Error"]["Code"], code, err)
        self.assertEqual(err["ResponseMetadata"]["HTTPStatusCode"], status, err)
        if message is not None:
            self.assertEqual(err["Error"]["Message"], message, err)
        return err

    def bucket(self, client=None):
        bucket = name("b")
        (client or self.s3).create_bucket(Bucket=bucket)
        return bucket


class BucketTest(S3TestCase):
    def test_bucket_lifecycle(self):
        bucket = name("life")
        out = self.s3.create_bucket(Bucket=bucket)
        self.assertEqual(out["Location"], "/" + bucket)
        head = self.s3.head_bucket(Bucket=bucket)
        self.assertEqual(head["BucketRegion"], "us-east-1")
        self.assertEqual(len(head["ResponseMetadata"]["RequestId"]), 16)
        self.assertTrue(head["ResponseMetadata"]["HostId"])
        listed = self.s3.list_buckets()
        mine = [b for b in listed["Buckets"] if b["Name"] == bucket]
        self.assertEqual(len(mine), 1)
        self.assertIsInstance(mine[0]["CreationDate"], datetime.datetime)
        self.assertEqual(mine[0]["BucketRegion"], "us-east-1")
        self.assertTrue(listed["Owner"]["ID"])
        # us-east-1 answers the owner's repeated CreateBucket with success, as S3 does there.
        self.s3.create_bucket(Bucket=bucket)
        self.assertEqual(self.s3.get_bucket_location(Bucket=bucket)["LocationConstraint"], None)

        self.s3.put_object(Bucket=bucket, Key="k", Body=b"x")
        err = self.assertClientError(self.s3.delete_bucket, "BucketNotEmpty", 409,
                                     "The bucket you tried to delete is not empty", Bucket=bucket)
        self.assertEqual(err["Error"]["BucketName"], bucket)
        self.s3.delete_object(Bucket=bucket, Key="k")
        self.assertEqual(self.s3.delete_bucket(Bucket=bucket)["ResponseMetadata"]["HTTPStatusCode"],
                         204)
        err = self.assertClientError(self.s3.get_object, "NoSuchBucket", 404,
                                     "The specified bucket does not exist", Bucket=bucket, Key="k")
        self.assertEqual(err["Error"]["BucketName"], bucket)
        self.assertClientError(self.s3.head_bucket, "404", 404, "Not Found", Bucket=bucket)

    def test_create_bucket_rules(self):
        # botocore refuses invalid names itself; send one past its validation.
        res = requests.put(self.sim.url + "/Not_Valid", timeout=10)
        self.assertEqual(res.status_code, 403)  # unsigned: refused before any validation
        self.assertClientError(self.s3.create_bucket, "InvalidBucketName", 400,
                               "The specified bucket is not valid.", Bucket="ab")
        self.assertClientError(self.s3.create_bucket, "InvalidLocationConstraint", 400,
                               "The specified location-constraint is not valid",
                               Bucket=name("loc"),
                               CreateBucketConfiguration={"LocationConstraint": "us-east-1"})
        self.assertClientError(
            self.s3.create_bucket, "IllegalLocationConstraintException", 400,
            "The eu-west-1 location constraint is incompatible for the region specific endpoint "
            "this request was sent to.",
            Bucket=name("loc"), CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})

    def test_bucket_policy(self):
        bucket = self.bucket()
        self.assertClientError(self.s3.get_bucket_policy, "NoSuchBucketPolicy", 404,
                               "The bucket policy does not exist", Bucket=bucket)
        policy = json.dumps({"Version": "2012-10-17", "Statement": [{
            "Sid": "Read", "Effect": "Allow", "Principal": {"AWS": TASK_ROLE},
            "Action": "s3:GetObject", "Resource": "arn:aws:s3:::%s/p/*" % bucket}]})
        out = self.s3.put_bucket_policy(Bucket=bucket, Policy=policy)
        self.assertEqual(out["ResponseMetadata"]["HTTPStatusCode"], 204)
        self.assertEqual(self.s3.get_bucket_policy(Bucket=bucket)["Policy"], policy)
        self.assertClientError(self.s3.put_bucket_policy, "MalformedPolicy", 400,
                               "Policies must be valid JSON and the first byte must be '{'",
                               Bucket=bucket, Policy="nope")
        self.assertClientError(self.s3.put_bucket_policy, "MalformedPolicy", 400,
                               "Policy has invalid resource", Bucket=bucket,
                               Policy=policy.replace("arn:aws:s3:::" + bucket, "arn:aws:s3:::x"))
        self.assertClientError(self.s3.put_bucket_policy, "MalformedPolicy", 400,
                               "Policy has invalid action", Bucket=bucket,
                               Policy=policy.replace("s3:GetObject", "s3:GetObjekt"))
        public = json.dumps({"Statement": [{"Effect": "Allow", "Principal": "*",
                                            "Action": "s3:GetObject",
                                            "Resource": "arn:aws:s3:::%s/*" % bucket}]})
        self.assertClientError(self.s3.put_bucket_policy, "AccessDenied", 403,
                               Bucket=bucket, Policy=public)
        self.s3.delete_bucket_policy(Bucket=bucket)
        self.assertClientError(self.s3.get_bucket_policy, "NoSuchBucketPolicy", 404,
                               Bucket=bucket)

    def test_lifecycle_configuration(self):
        bucket = self.bucket()
        self.assertClientError(self.s3.get_bucket_lifecycle_configuration,
                               "NoSuchLifecycleConfiguration", 404,
                               "The lifecycle configuration does not exist", Bucket=bucket)
        rules = [{"ID": "payloads", "Filter": {"Prefix": "payloads/"}, "Status": "Enabled",
                  "Expiration": {"Days": 1},
                  "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1}}]
        self.s3.put_bucket_lifecycle_configuration(Bucket=bucket,
                                                   LifecycleConfiguration={"Rules": rules})
        got = self.s3.get_bucket_lifecycle_configuration(Bucket=bucket)
        self.assertEqual(got["Rules"], rules)
        self.assertEqual(got["TransitionDefaultMinimumObjectSize"], "all_storage_classes_128K")
        put = self.s3.put_object(Bucket=bucket, Key="payloads/x", Body=b"x")
        self.assertRegex(put["Expiration"], r'^expiry-date="[A-Z][a-z]{2}, .* 00:00:00 GMT", '
                                            r'rule-id="payloads"$')
        self.assertClientError(
            self.s3.put_bucket_lifecycle_configuration, "InvalidArgument", 400,
            "'Days' for Expiration action must be a positive integer", Bucket=bucket,
            LifecycleConfiguration={"Rules": [{"ID": "x", "Filter": {}, "Status": "Enabled",
                                               "Expiration": {"Days": 0}}]})
        self.assertClientError(
            self.s3.put_bucket_lifecycle_configuration, "InvalidRequest", 400,
            "At least one action needs to be specified in a rule", Bucket=bucket,
            LifecycleConfiguration={"Rules": [{"ID": "x", "Filter": {}, "Status": "Enabled"}]})
        self.s3.delete_bucket_lifecycle(Bucket=bucket)
        self.assertClientError(self.s3.get_bucket_lifecycle_configuration,
                               "NoSuchLifecycleConfiguration", 404, Bucket=bucket)

    def test_default_encryption(self):
        bucket = self.bucket()
        rules = self.s3.get_bucket_encryption(Bucket=bucket)[
            "ServerSideEncryptionConfiguration"]["Rules"]
        self.assertEqual(rules, [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"},
                                  "BucketKeyEnabled": False}])
        kms = {"Rules": [{"ApplyServerSideEncryptionByDefault": {
            "SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "alias/payloads"},
            "BucketKeyEnabled": True}]}
        self.s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration=kms)
        self.assertEqual(self.s3.get_bucket_encryption(Bucket=bucket)[
            "ServerSideEncryptionConfiguration"], kms)
        put = self.s3.put_object(Bucket=bucket, Key="k", Body=b"x")
        self.assertEqual(put["ServerSideEncryption"], "aws:kms")
        self.assertEqual(put["SSEKMSKeyId"], "alias/payloads")
        self.assertTrue(put["BucketKeyEnabled"])
        head = self.s3.head_object(Bucket=bucket, Key="k")
        self.assertEqual(head["ServerSideEncryption"], "aws:kms")
        self.assertClientError(
            self.s3.put_bucket_encryption, "InvalidArgument", 400, Bucket=bucket,
            ServerSideEncryptionConfiguration={"Rules": [{"ApplyServerSideEncryptionByDefault": {
                "SSEAlgorithm": "AES256", "KMSMasterKeyID": "k"}}]})

    def test_public_access_block(self):
        bucket = self.bucket()
        config = self.s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
        self.assertEqual(config, {"BlockPublicAcls": True, "IgnorePublicAcls": True,
                                  "BlockPublicPolicy": True, "RestrictPublicBuckets": True})
        self.s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={
            "BlockPublicAcls": True, "BlockPublicPolicy": False})
        config = self.s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
        self.assertEqual(config["BlockPublicPolicy"], False)
        self.assertEqual(config["IgnorePublicAcls"], False)
        self.s3.delete_public_access_block(Bucket=bucket)
        self.assertClientError(self.s3.get_public_access_block,
                               "NoSuchPublicAccessBlockConfiguration", 404,
                               "The public access block configuration was not found",
                               Bucket=bucket)


class ObjectTest(S3TestCase):
    def test_put_get_head_delete(self):
        bucket = self.bucket()
        body = os.urandom(100 * 1024)
        put = self.s3.put_object(Bucket=bucket, Key="dir/a b+c%é.bin", Body=body,
                                 ContentType="application/x-test", Metadata={"Owner": "me"},
                                 CacheControl="no-cache", ServerSideEncryption="AES256")
        etag = '"%s"' % hashlib.md5(body).hexdigest()
        self.assertEqual(put["ETag"], etag)
        self.assertEqual(put["ServerSideEncryption"], "AES256")
        self.assertIn("ChecksumCRC32", put)  # botocore sends one; S3 echoes it

        got = self.s3.get_object(Bucket=bucket, Key="dir/a b+c%é.bin")
        self.assertEqual(got["Body"].read(), body)
        self.assertEqual(got["ETag"], etag)
        self.assertEqual(got["ContentLength"], len(body))
        self.assertEqual(got["ContentType"], "application/x-test")
        self.assertEqual(got["CacheControl"], "no-cache")
        self.assertEqual(got["Metadata"], {"owner": "me"})
        self.assertEqual(got["AcceptRanges"], "bytes")
        self.assertEqual(got["ServerSideEncryption"], "AES256")
        self.assertIsInstance(got["LastModified"], datetime.datetime)
        self.assertEqual(got["ChecksumCRC32"], put["ChecksumCRC32"])  # validated by botocore

        head = self.s3.head_object(Bucket=bucket, Key="dir/a b+c%é.bin")
        self.assertEqual(head["ContentLength"], len(body))
        self.assertEqual(head["Metadata"], {"owner": "me"})

        self.assertEqual(self.s3.put_object(Bucket=bucket, Key="empty")["ETag"],
                         '"d41d8cd98f00b204e9800998ecf8427e"')
        self.assertEqual(self.s3.get_object(Bucket=bucket, Key="empty")["Body"].read(), b"")
        self.assertEqual(self.s3.get_object(Bucket=bucket, Key="empty")["ContentType"],
                         "binary/octet-stream")

        deleted = self.s3.delete_object(Bucket=bucket, Key="dir/a b+c%é.bin")
        self.assertEqual(deleted["ResponseMetadata"]["HTTPStatusCode"], 204)
        again = self.s3.delete_object(Bucket=bucket, Key="dir/a b+c%é.bin")
        self.assertEqual(again["ResponseMetadata"]["HTTPStatusCode"], 204)
        err = self.assertClientError(self.s3.get_object, "NoSuchKey", 404,
                                     "The specified key does not exist.",
                                     Bucket=bucket, Key="dir/a b+c%é.bin")
        self.assertEqual(err["Error"]["Key"], "dir/a b+c%é.bin")
        self.assertEqual(len(err["ResponseMetadata"]["RequestId"]), 16)
        self.assertEqual(err["ResponseMetadata"]["HTTPHeaders"]["content-type"], "application/xml")
        self.assertClientError(self.s3.head_object, "404", 404, "Not Found",
                               Bucket=bucket, Key="dir/a b+c%é.bin")

    def test_integrity_checks(self):
        bucket = self.bucket()
        wrong_md5 = base64.b64encode(hashlib.md5(b"other").digest()).decode()
        self.assertClientError(self.s3.put_object, "BadDigest", 400,
                               "The Content-MD5 you specified did not match what we received.",
                               Bucket=bucket, Key="k", Body=b"body", ContentMD5=wrong_md5)
        self.assertClientError(self.s3.put_object, "InvalidDigest", 400,
                               "The Content-MD5 you specified was invalid.",
                               Bucket=bucket, Key="k", Body=b"body", ContentMD5="bm9w")
        good_md5 = base64.b64encode(hashlib.md5(b"body").digest()).decode()
        self.s3.put_object(Bucket=bucket, Key="k", Body=b"body", ContentMD5=good_md5)
        sha = self.s3.put_object(Bucket=bucket, Key="s", Body=b"body", ChecksumAlgorithm="SHA256")
        self.assertEqual(sha["ChecksumSHA256"],
                         base64.b64encode(hashlib.sha256(b"body").digest()).decode())
        got = self.s3.get_object(Bucket=bucket, Key="s", ChecksumMode="ENABLED")
        self.assertEqual(got["ChecksumSHA256"], sha["ChecksumSHA256"])
        self.assertEqual(got["Body"].read(), b"body")
        self.assertClientError(self.s3.put_object, "BadDigest", 400,
                               "The CRC32 you specified did not match the calculated checksum.",
                               Bucket=bucket, Key="k", Body=b"body", ChecksumCRC32="AAAAAA==")

    def test_aws_chunked_upload_with_trailing_checksum(self):
        """botocore's streaming upload (used over TLS), sent here over plain HTTP."""
        bucket = self.bucket()

        class Https:
            scheme = "https"

        with mock.patch("botocore.httpchecksum.urlparse", return_value=Https()):
            put = self.s3.put_object(Bucket=bucket, Key="chunked", Body=b"z" * 70000)
        self.assertIn("ChecksumCRC32", put)
        got = self.s3.get_object(Bucket=bucket, Key="chunked")
        self.assertEqual(got["Body"].read(), b"z" * 70000)
        self.assertNotIn("ContentEncoding", got)

    def test_conditional_requests(self):
        bucket = self.bucket()
        put = self.s3.put_object(Bucket=bucket, Key="k", Body=b"0123456789")
        etag = put["ETag"]
        self.assertClientError(self.s3.put_object, "PreconditionFailed", 412,
                               "At least one of the pre-conditions you specified did not hold",
                               Bucket=bucket, Key="k", Body=b"x", IfNoneMatch="*")
        self.s3.put_object(Bucket=bucket, Key="new", Body=b"x", IfNoneMatch="*")
        self.assertClientError(self.s3.get_object, "304", 304, "Not Modified",
                               Bucket=bucket, Key="k", IfNoneMatch=etag)
        err = self.assertClientError(self.s3.get_object, "PreconditionFailed", 412,
                                     Bucket=bucket, Key="k", IfMatch='"nope"')
        self.assertEqual(err["Error"]["Condition"], "If-Match")
        self.assertEqual(self.s3.get_object(Bucket=bucket, Key="k", IfMatch=etag)["Body"].read(),
                         b"0123456789")
        future = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=1)
        past = datetime.datetime(2000, 1, 1, tzinfo=datetime.timezone.utc)
        self.assertClientError(self.s3.get_object, "304", 304,
                               Bucket=bucket, Key="k", IfModifiedSince=future)
        self.assertClientError(self.s3.get_object, "PreconditionFailed", 412,
                               Bucket=bucket, Key="k", IfUnmodifiedSince=past)
        self.assertClientError(self.s3.head_object, "412", 412,
                               Bucket=bucket, Key="k", IfMatch='"nope"')

    def test_ranges(self):
        bucket = self.bucket()
        self.s3.put_object(Bucket=bucket, Key="k", Body=b"0123456789")
        part = self.s3.get_object(Bucket=bucket, Key="k", Range="bytes=2-5")
        self.assertEqual(part["ResponseMetadata"]["HTTPStatusCode"], 206)
        self.assertEqual(part["Body"].read(), b"2345")
        self.assertEqual(part["ContentRange"], "bytes 2-5/10")
        self.assertEqual(part["ContentLength"], 4)
        tail = self.s3.get_object(Bucket=bucket, Key="k", Range="bytes=-3")
        self.assertEqual(tail["Body"].read(), b"789")
        err = self.assertClientError(self.s3.get_object, "InvalidRange", 416,
                                     "The requested range is not satisfiable",
                                     Bucket=bucket, Key="k", Range="bytes=10-")
        self.assertEqual(err["Error"]["ActualObjectSize"], "10")

    def test_list_objects_v2(self):
        bucket = self.bucket()
        keys = ["a/1", "a/2", "a/b/3", "b/1", "c", "d e+f", "é/x"]
        for key in keys:
            self.s3.put_object(Bucket=bucket, Key=key, Body=b"x")
        everything = self.s3.list_objects_v2(Bucket=bucket)
        self.assertEqual([o["Key"] for o in everything["Contents"]], sorted(keys))
        self.assertEqual(everything["KeyCount"], len(keys))
        self.assertFalse(everything["IsTruncated"])
        first = everything["Contents"][0]
        self.assertEqual(first["Size"], 1)
        self.assertEqual(first["StorageClass"], "STANDARD")
        self.assertEqual(first["ChecksumAlgorithm"], ["CRC32"])

        top = self.s3.list_objects_v2(Bucket=bucket, Delimiter="/")
        self.assertEqual([p["Prefix"] for p in top["CommonPrefixes"]], ["a/", "b/", "é/"])
        self.assertEqual([o["Key"] for o in top["Contents"]], ["c", "d e+f"])
        under_a = self.s3.list_objects_v2(Bucket=bucket, Prefix="a/", Delimiter="/")
        self.assertEqual([o["Key"] for o in under_a["Contents"]], ["a/1", "a/2"])
        self.assertEqual(under_a["CommonPrefixes"], [{"Prefix": "a/b/"}])
        after = self.s3.list_objects_v2(Bucket=bucket, StartAfter="b/1")
        self.assertEqual([o["Key"] for o in after["Contents"]], ["c", "d e+f", "é/x"])
        owner = self.s3.list_objects_v2(Bucket=bucket, MaxKeys=1, FetchOwner=True)
        self.assertTrue(owner["Contents"][0]["Owner"]["ID"])
        self.assertTrue(owner["IsTruncated"])

        pages = self.s3.get_paginator("list_objects_v2").paginate(
            Bucket=bucket, PaginationConfig={"PageSize": 2})
        seen = []
        for page in pages:
            self.assertLessEqual(page["KeyCount"], 2)
            seen += [o["Key"] for o in page.get("Contents", [])]
        self.assertEqual(seen, sorted(keys))
        delimited = self.s3.get_paginator("list_objects_v2").paginate(
            Bucket=bucket, Delimiter="/", PaginationConfig={"PageSize": 1})
        prefixes = [p["Prefix"] for page in delimited for p in page.get("CommonPrefixes", [])]
        self.assertEqual(prefixes, ["a/", "b/", "é/"])

        self.assertClientError(self.s3.list_objects_v2, "InvalidArgument", 400,
                               "The continuation token provided is incorrect",
                               Bucket=bucket, ContinuationToken="!!")
        self.assertClientError(self.s3.list_objects_v2, "NoSuchBucket", 404,
                               Bucket=name("missing"))
        v1 = self.s3.list_objects(Bucket=bucket, Delimiter="/", MaxKeys=2)
        self.assertTrue(v1["IsTruncated"])
        self.assertEqual(v1["NextMarker"], "b/")

    def test_delete_objects(self):
        bucket = self.bucket()
        for key in ["a", "b", "c"]:
            self.s3.put_object(Bucket=bucket, Key=key, Body=b"x")
        out = self.s3.delete_objects(Bucket=bucket, Delete={
            "Objects": [{"Key": "a"}, {"Key": "b"}, {"Key": "never"}]})
        self.assertEqual(sorted(d["Key"] for d in out["Deleted"]), ["a", "b", "never"])
        self.assertEqual([o["Key"] for o in self.s3.list_objects_v2(Bucket=bucket)["Contents"]],
                         ["c"])
        quiet = self.s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "c"}],
                                                              "Quiet": True})
        self.assertNotIn("Deleted", quiet)
        self.assertEqual(self.s3.list_objects_v2(Bucket=bucket)["KeyCount"], 0)


class PolicyEnforcementTest(S3TestCase):
    """DESIGN.md §6's payload bucket: the task role may only GetObject under the prefix."""

    def setUp(self):
        self.bucket_name = self.bucket()
        self.s3.put_object(Bucket=self.bucket_name, Key="payloads/x", Body=b"payload")
        self.s3.put_object(Bucket=self.bucket_name, Key="other/y", Body=b"other")
        self.allow = {"Sid": "TaskReadsPayloads", "Effect": "Allow",
                      "Principal": {"AWS": TASK_ROLE}, "Action": "s3:GetObject",
                      "Resource": "arn:aws:s3:::%s/payloads/*" % self.bucket_name}
        self.put_policy([self.allow])
        creds = self.sim.issue_session(TASK_ROLE, "task-1")
        self.task = self.sim.client("s3", key=creds["AccessKeyId"], secret=creds["SecretAccessKey"],
                                    token=creds["Token"], s3={"addressing_style": "path"})
        self.creds = creds

    def put_policy(self, statements):
        self.s3.put_bucket_policy(Bucket=self.bucket_name, Policy=json.dumps(
            {"Version": "2012-10-17", "Statement": statements}))

    def test_task_role_reads_only_under_the_prefix(self):
        got = self.task.get_object(Bucket=self.bucket_name, Key="payloads/x")
        self.assertEqual(got["Body"].read(), b"payload")
        b = self.bucket_name
        for call, kwargs in [
                (self.task.list_objects_v2, {"Bucket": b}),
                (self.task.put_object, {"Bucket": b, "Key": "payloads/z", "Body": b"x"}),
                (self.task.get_object, {"Bucket": b, "Key": "other/y"}),
                (self.task.get_object, {"Bucket": b, "Key": "payloads/missing"}),
                (self.task.delete_object, {"Bucket": b, "Key": "payloads/x"}),
                (self.task.get_bucket_policy, {"Bucket": b}),
                (self.task.list_buckets, {}),
                (self.task.create_bucket, {"Bucket": name("by-task")})]:
            self.assertClientError(call, "AccessDenied", 403, "Access Denied", **kwargs)
        self.assertClientError(self.task.head_object, "403", 403, "Forbidden",
                               Bucket=b, Key="other/y")

        self.assertEqual(self.s3.list_objects_v2(Bucket=b)["KeyCount"], 2)
        self.s3.put_object(Bucket=b, Key="payloads/z", Body=b"x")
        self.assertEqual(self.s3.get_object(Bucket=b, Key="other/y")["Body"].read(), b"other")
        self.s3.delete_object(Bucket=b, Key="payloads/z")

    def test_tls_only_statement_denies_the_root_over_http(self):
        self.put_policy([self.allow, {
            "Sid": "TlsOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
            "Resource": ["arn:aws:s3:::%s" % self.bucket_name,
                         "arn:aws:s3:::%s/*" % self.bucket_name],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}}}])
        self.assertClientError(self.s3.get_object, "AccessDenied", 403, "Access Denied",
                               Bucket=self.bucket_name, Key="payloads/x")
        self.assertClientError(self.task.get_object, "AccessDenied", 403,
                               Bucket=self.bucket_name, Key="payloads/x")
        # The owner's root keeps the policy APIs, so it cannot lock itself out.
        self.assertIn("TlsOnly", self.s3.get_bucket_policy(Bucket=self.bucket_name)["Policy"])
        self.s3.delete_bucket_policy(Bucket=self.bucket_name)
        self.s3.get_object(Bucket=self.bucket_name, Key="payloads/x")

    def test_aws_cli_with_the_task_role(self):
        env = self.sim.cli_env(self.creds["AccessKeyId"], self.creds["SecretAccessKey"],
                               self.creds["Token"])
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "payload")
            ok = self.sim.aws("s3api", "get-object", "--bucket", self.bucket_name,
                              "--key", "payloads/x", out, env=env)
            self.assertEqual(ok.returncode, 0, ok.stderr)
            with open(out, "rb") as f:
                self.assertEqual(f.read(), b"payload")
            denied = self.sim.aws("s3api", "list-objects-v2", "--bucket", self.bucket_name,
                                  env=env)
            self.assertNotEqual(denied.returncode, 0)
            self.assertIn("AccessDenied", denied.stderr)


class AddressingAndSigningTest(S3TestCase):
    def test_virtual_host_style_with_boto3(self):
        endpoint = "http://s3.localhost:%d" % self.sim.port
        vhost = self.sim.client("s3", endpoint=endpoint, s3={"addressing_style": "virtual"})
        bucket = name("vhost")
        sent = []

        def record(request, **_):
            sent.append(request.url)

        vhost.meta.events.register("before-send.s3", record)
        with mock.patch("socket.getaddrinfo", resolve_localhost_names):
            vhost.create_bucket(Bucket=bucket)
            vhost.put_object(Bucket=bucket, Key="dir/k", Body=b"virtual")
            self.assertEqual(vhost.get_object(Bucket=bucket, Key="dir/k")["Body"].read(),
                             b"virtual")
            listed = vhost.list_objects_v2(Bucket=bucket)
        self.assertEqual([o["Key"] for o in listed["Contents"]], ["dir/k"])
        self.assertTrue(sent[1].startswith("http://%s.s3.localhost:%d/dir/k" %
                                           (bucket, self.sim.port)), sent)
        # The same object is there path-style.
        self.assertEqual(self.s3.get_object(Bucket=bucket, Key="dir/k")["Body"].read(),
                         b"virtual")

    def signed(self, method, host, path, body=b""):
        url = "http://%s%s" % (host, path)
        request = AWSRequest(method=method, url=url, data=body)
        request.headers["X-Amz-Content-SHA256"] = hashlib.sha256(body).hexdigest()
        botocore.auth.S3SigV4Auth(Credentials("test", "test"), "s3", "us-east-1").add_auth(request)
        headers = dict(request.headers)
        headers["Host"] = host
        return requests.request(method, "http://127.0.0.1:%d%s" % (self.sim.port, path),
                                headers=headers, data=body, timeout=10)

    def test_virtual_host_names_sent_as_host_header(self):
        bucket = self.bucket()
        self.s3.put_object(Bucket=bucket, Key="k", Body=b"by host")
        for host in ["%s.localhost:%d", "%s.s3.localhost:%d", "%s.s3.amazonaws.com",
                     "%s.s3.us-east-1.amazonaws.com"]:
            host = host % ((bucket, self.sim.port) if "%d" in host else (bucket,))
            res = self.signed("GET", host, "/k")
            self.assertEqual(res.status_code, 200, (host, res.text))
            self.assertEqual(res.content, b"by host")
        res = self.signed("GET", "%s.s3.localhost:%d" % (bucket, self.sim.port), "/missing")
        self.assertEqual(res.status_code, 404)
        self.assertIn("<Code>NoSuchKey</Code>", res.text)
        self.assertIn("<Key>missing</Key>", res.text)

    def test_presigned_urls(self):
        bucket = self.bucket()
        self.s3.put_object(Bucket=bucket, Key="dir/file name.txt", Body=b"presigned")
        # boto3 presigns S3 with SigV2 query auth by default in us-east-1; SigV4 when asked.
        for version in [None, "s3v4"]:
            config = {"s3": {"addressing_style": "path"}}
            if version:
                config["signature_version"] = version
            s3 = self.sim.client("s3", **config)
            url = s3.generate_presigned_url(
                "get_object", Params={"Bucket": bucket, "Key": "dir/file name.txt"},
                ExpiresIn=300)
            self.assertIn("X-Amz-Signature=" if version else "AWSAccessKeyId=", url)
            res = requests.get(url, timeout=10)
            self.assertEqual(res.status_code, 200, res.text)
            self.assertEqual(res.content, b"presigned")

            put_url = s3.generate_presigned_url(
                "put_object", Params={"Bucket": bucket, "Key": "uploaded"}, ExpiresIn=300)
            self.assertEqual(requests.put(put_url, data=b"via url", timeout=10).status_code, 200)
            self.assertEqual(self.s3.get_object(Bucket=bucket, Key="uploaded")["Body"].read(),
                             b"via url")

            tampered = requests.get(url.replace("file%20name", "file%20nam"), timeout=10)
            self.assertEqual(tampered.status_code, 403)
            self.assertIn("<Code>SignatureDoesNotMatch</Code>", tampered.text)

            an_hour_ago = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None) - \
                datetime.timedelta(hours=1)
            with mock.patch("botocore.auth.get_current_datetime", return_value=an_hour_ago), \
                    mock.patch("botocore.auth.time.time",
                               return_value=an_hour_ago.replace(
                                   tzinfo=datetime.timezone.utc).timestamp()):
                stale = s3.generate_presigned_url(
                    "get_object", Params={"Bucket": bucket, "Key": "uploaded"}, ExpiresIn=60)
            expired = requests.get(stale, timeout=10)
            self.assertEqual(expired.status_code, 403)
            self.assertIn("<Code>AccessDenied</Code>", expired.text)
            self.assertIn("<Message>Request has expired</Message>", expired.text)

    def test_presigned_url_with_role_session(self):
        bucket = self.bucket()
        self.s3.put_object(Bucket=bucket, Key="payloads/x", Body=b"for the task")
        self.s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Statement": [{
            "Effect": "Allow", "Principal": {"AWS": TASK_ROLE}, "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::%s/payloads/*" % bucket}]}))
        creds = self.sim.issue_session(TASK_ROLE)
        for version, token_param in [(None, "x-amz-security-token="),
                                     ("s3v4", "X-Amz-Security-Token=")]:
            config = {"s3": {"addressing_style": "path"}}
            if version:
                config["signature_version"] = version
            task = self.sim.client("s3", key=creds["AccessKeyId"],
                                   secret=creds["SecretAccessKey"], token=creds["Token"], **config)
            url = task.generate_presigned_url("get_object",
                                              Params={"Bucket": bucket, "Key": "payloads/x"})
            self.assertIn(token_param, url)
            self.assertEqual(requests.get(url, timeout=10).content, b"for the task")
            other = task.generate_presigned_url("put_object",
                                                Params={"Bucket": bucket, "Key": "payloads/y"})
            denied = requests.put(other, data=b"x", timeout=10)
            self.assertEqual(denied.status_code, 403)
            self.assertIn("<Code>AccessDenied</Code>", denied.text)

    def test_authentication_failures(self):
        bucket = self.bucket()
        wrong = self.sim.client("s3", secret="wrong", s3={"addressing_style": "path"})
        self.assertClientError(
            wrong.list_objects_v2, "SignatureDoesNotMatch", 403,
            "The request signature we calculated does not match the signature you provided. "
            "Check your key and signing method.", Bucket=bucket)
        unknown = self.sim.client("s3", key="AKIAUNKNOWN0000000000",
                                  s3={"addressing_style": "path"})
        err = self.assertClientError(
            unknown.list_objects_v2, "InvalidAccessKeyId", 403,
            "The AWS Access Key Id you provided does not exist in our records.", Bucket=bucket)
        self.assertEqual(err["Error"]["AWSAccessKeyId"], "AKIAUNKNOWN0000000000")
        anonymous = requests.get("%s/%s/k" % (self.sim.url, bucket), timeout=10)
        self.assertEqual(anonymous.status_code, 403)
        self.assertIn("<Code>AccessDenied</Code>", anonymous.text)
        self.assertTrue(anonymous.headers["x-amz-request-id"])
        self.assertTrue(anonymous.headers["x-amz-id-2"])
        revoked = self.sim.client("s3", key="ASIAREVOKED000000000", token="t",
                                  s3={"addressing_style": "path"})
        self.assertClientError(revoked.list_objects_v2, "InvalidToken", 400, Bucket=bucket)


class AwsCliTest(S3TestCase):
    def test_s3api_and_s3_cp(self):
        bucket = name("cli")
        made = self.sim.aws("s3api", "create-bucket", "--bucket", bucket)
        self.assertEqual(made.returncode, 0, made.stderr)
        self.assertEqual(json.loads(made.stdout)["Location"], "/" + bucket)
        with tempfile.TemporaryDirectory() as tmp:
            src = os.path.join(tmp, "src.bin")
            data = os.urandom(300 * 1024)
            with open(src, "wb") as f:
                f.write(data)
            up = self.sim.aws("s3", "cp", src, "s3://%s/dir/src.bin" % bucket)
            self.assertEqual(up.returncode, 0, up.stderr)
            down = os.path.join(tmp, "down.bin")
            got = self.sim.aws("s3", "cp", "s3://%s/dir/src.bin" % bucket, down)
            self.assertEqual(got.returncode, 0, got.stderr)
            with open(down, "rb") as f:
                self.assertEqual(f.read(), data)
            ls = self.sim.aws("s3", "ls", "s3://%s/dir/" % bucket)
            self.assertEqual(ls.returncode, 0, ls.stderr)
            self.assertIn("src.bin", ls.stdout)
        head = self.sim.aws("s3api", "head-object", "--bucket", bucket, "--key", "dir/src.bin")
        self.assertEqual(head.returncode, 0, head.stderr)
        self.assertEqual(json.loads(head.stdout)["ContentLength"], 300 * 1024)
        listed = self.sim.aws("s3api", "list-objects-v2", "--bucket", bucket)
        self.assertEqual([o["Key"] for o in json.loads(listed.stdout)["Contents"]],
                         ["dir/src.bin"])
        missing = self.sim.aws("s3api", "get-object", "--bucket", bucket, "--key", "nope",
                               os.devnull)
        self.assertNotEqual(missing.returncode, 0)
        self.assertIn("NoSuchKey", missing.stderr)
        policy = json.dumps({"Statement": [{"Effect": "Deny", "Principal": "*",
                                            "Action": "s3:DeleteObject",
                                            "Resource": "arn:aws:s3:::%s/*" % bucket}]})
        put_policy = self.sim.aws("s3api", "put-bucket-policy", "--bucket", bucket,
                                  "--policy", policy)
        self.assertEqual(put_policy.returncode, 0, put_policy.stderr)
        rm = self.sim.aws("s3", "rm", "s3://%s/dir/src.bin" % bucket)
        self.assertNotEqual(rm.returncode, 0)
        self.assertIn("AccessDenied", rm.stderr)


class StsTest(S3TestCase):
    def test_get_caller_identity(self):
        sts = self.sim.client("sts")
        me = sts.get_caller_identity()
        self.assertEqual(me["Arn"], "arn:aws:iam::000000000000:root")
        self.assertEqual(me["Account"], "000000000000")
        self.assertEqual(me["UserId"], "000000000000")
        self.assertTrue(me["ResponseMetadata"]["RequestId"])

        creds = self.sim.issue_session(TASK_ROLE, "sts-check")
        as_task = self.sim.client("sts", key=creds["AccessKeyId"], secret=creds["SecretAccessKey"],
                                  token=creds["Token"])
        task = as_task.get_caller_identity()
        self.assertEqual(task["Arn"],
                         "arn:aws:sts::000000000000:assumed-role/sockerless-task/sts-check")
        self.assertRegex(task["UserId"], r"^AROA[A-Z0-9]+:sts-check$")

        cli = self.sim.aws("sts", "get-caller-identity")
        self.assertEqual(cli.returncode, 0, cli.stderr)
        self.assertEqual(json.loads(cli.stdout)["Arn"], "arn:aws:iam::000000000000:root")

    def test_errors(self):
        unknown = self.sim.client("sts", key="AKIAUNKNOWN0000000000")
        self.assertClientError(unknown.get_caller_identity, "InvalidClientTokenId", 403,
                               "The security token included in the request is invalid.")
        wrong = self.sim.client("sts", secret="wrong")
        self.assertClientError(wrong.get_caller_identity, "SignatureDoesNotMatch", 403)
        res = requests.post(self.sim.url + "/",
                            data="Action=GetCallerIdentity&Version=2011-06-15",
                            headers={"Content-Type": "application/x-www-form-urlencoded"},
                            timeout=10)
        self.assertEqual(res.status_code, 403)
        self.assertIn("<ErrorResponse", res.text)
        self.assertIn("<Type>Sender</Type>", res.text)
        self.assertIn("<Code>MissingAuthenticationToken</Code>", res.text)


class RegionAndStateTest(unittest.TestCase):
    def test_non_default_region_rules(self):
        sim = AwsSim(SIM_BINARY, region="eu-west-1").start()
        try:
            s3 = sim.client("s3", s3={"addressing_style": "path"})
            bucket = name("west")
            with self.assertRaises(ClientError) as ctx:
                s3.create_bucket(Bucket=bucket)
            self.assertEqual(ctx.exception.response["Error"]["Code"],
                             "IllegalLocationConstraintException")
            self.assertEqual(
                ctx.exception.response["Error"]["Message"],
                "The unspecified location constraint is incompatible for the region specific "
                "endpoint this request was sent to.")
            config = {"LocationConstraint": "eu-west-1"}
            s3.create_bucket(Bucket=bucket, CreateBucketConfiguration=config)
            with self.assertRaises(ClientError) as ctx:
                s3.create_bucket(Bucket=bucket, CreateBucketConfiguration=config)
            err = ctx.exception.response
            self.assertEqual(err["Error"]["Code"], "BucketAlreadyOwnedByYou")
            self.assertEqual(err["ResponseMetadata"]["HTTPStatusCode"], 409)
            self.assertEqual(s3.get_bucket_location(Bucket=bucket)["LocationConstraint"],
                             "eu-west-1")
            self.assertEqual(s3.head_bucket(Bucket=bucket)["BucketRegion"], "eu-west-1")
        finally:
            sim.stop()

    def test_objects_survive_a_restart(self):
        sim = AwsSim(SIM_BINARY).start()
        try:
            s3 = sim.client("s3", s3={"addressing_style": "path"})
            bucket = name("keep")
            s3.create_bucket(Bucket=bucket)
            s3.put_object(Bucket=bucket, Key="k", Body=b"durable", Metadata={"a": "b"})
            s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Statement": [{
                "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
                "Resource": "arn:aws:s3:::%s/*" % bucket}]}))
            self.assertTrue(os.path.isdir(os.path.join(sim.state_dir, "s3", bucket)))
            sim.stop(keep_state=True)
            sim.start()
            s3 = sim.client("s3", s3={"addressing_style": "path"})
            got = s3.get_object(Bucket=bucket, Key="k")
            self.assertEqual(got["Body"].read(), b"durable")
            self.assertEqual(got["Metadata"], {"a": "b"})
            with self.assertRaises(ClientError) as ctx:
                s3.put_object(Bucket=bucket, Key="k2", Body=b"x")
            self.assertEqual(ctx.exception.response["Error"]["Code"], "AccessDenied")
        finally:
            sim.stop()


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: awssim_s3_test.py PATH/TO/sockerless-awssim")
    SIM_BINARY = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
