#include "aws/efs_client.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

// Requests match botocore 1.43's rest-json serializer for the same input (key order included);
// responses follow the EFS model (efs/2015-02-01/service-2.json) and its examples-1.json.

namespace sockerless::aws {
namespace {

namespace json = boost::json;

TEST(EfsRequests, CreateAccessPointInput) {
    CreateAccessPointRequest r;
    r.client_token = "tok";
    r.file_system_id = "fs-1";
    r.posix_user = PosixUser{0, 0, {}};
    r.root_directory.path = "/agent";
    r.root_directory.owner_uid = 0;
    r.root_directory.owner_gid = 0;
    r.root_directory.permissions = "0755";
    r.tags = {{"k", "v"}};
    EXPECT_EQ(json::serialize(create_access_point_input(r)),
              R"({"ClientToken":"tok","FileSystemId":"fs-1","PosixUser":{"Uid":0,"Gid":0},)"
              R"("RootDirectory":{"Path":"/agent","CreationInfo":{"OwnerUid":0,"OwnerGid":0,)"
              R"("Permissions":"0755"}},"Tags":[{"Key":"k","Value":"v"}]})");
}

TEST(EfsParse, FileSystem) {
    const FileSystem fs = parse_file_system(json::parse(R"({"CreationTime": "1481841524.0",
        "CreationToken": "tokenstring", "FileSystemId": "fs-01234567",
        "FileSystemArn": "arn:aws:elasticfilesystem:us-east-1:012345678912:file-system/fs-01234567",
        "LifeCycleState": "available", "Name": "MyFileSystem", "NumberOfMountTargets": 1,
        "OwnerId": "012345678912", "PerformanceMode": "generalPurpose",
        "SizeInBytes": {"Value": 6144}, "Tags": [{"Key": "Name", "Value": "MyFileSystem"}]})")
                                                .as_object());
    EXPECT_EQ(fs.file_system_id, "fs-01234567");
    EXPECT_EQ(fs.life_cycle_state, "available");
    EXPECT_EQ(fs.name, "MyFileSystem");
    EXPECT_EQ(fs.owner_id, "012345678912");
    EXPECT_EQ(fs.tags, (std::vector<NameValue>{{"Name", "MyFileSystem"}}));
}

TEST(EfsParse, AccessPoint) {
    const AccessPoint ap = parse_access_point(json::parse(R"({"ClientToken": "tok",
        "Name": "agent", "Tags": [{"Key": "Name", "Value": "agent"}],
        "AccessPointId": "fsap-0123456789abcdef0",
        "AccessPointArn": "arn:aws:elasticfilesystem:us-east-1:012345678912:access-point/fsap-0123456789abcdef0",
        "FileSystemId": "fs-01234567", "PosixUser": {"Uid": 1000, "Gid": 1000, "SecondaryGids": [4]},
        "RootDirectory": {"Path": "/agent", "CreationInfo": {"OwnerUid": 0, "OwnerGid": 0,
        "Permissions": "0755"}}, "OwnerId": "012345678912", "LifeCycleState": "available"})")
                                                  .as_object());
    EXPECT_EQ(ap.access_point_id, "fsap-0123456789abcdef0");
    EXPECT_EQ(ap.file_system_id, "fs-01234567");
    EXPECT_EQ(ap.root_path, "/agent");
    EXPECT_EQ(ap.life_cycle_state, "available");
    EXPECT_EQ(ap.name, "agent");
    ASSERT_TRUE(ap.posix_user.has_value());
    EXPECT_EQ(ap.posix_user->uid, 1000);
    EXPECT_EQ(ap.posix_user->secondary_gids, std::vector<std::int64_t>{4});
    EXPECT_FALSE(parse_access_point(json::object{}).posix_user.has_value());
}

}  // namespace
}  // namespace sockerless::aws
