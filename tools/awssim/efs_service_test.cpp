#include "efs_service.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

namespace sockerless::awssim {
namespace {
namespace http = boost::beast::http;
namespace json = boost::json;

class EfsServiceTest : public ::testing::Test {
protected:
    void SetUp() override {
        std::string pattern = (std::filesystem::temp_directory_path() / "awssim-efs-XXXXXX");
        ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
        dir_ = pattern;
        state_.emplace(dir_ + "/efs", "us-east-1");
        service_.emplace(*state_, "us-east-1", [] {
            return std::chrono::system_clock::time_point(std::chrono::seconds(1700000000));
        });
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }

    EfsReply ok(std::string_view method, std::string_view target, const json::object& body = {}) {
        auto reply = service_->call(method, target, body.empty() ? "" : json::serialize(body));
        EXPECT_TRUE(reply.has_value())
            << (reply ? "" : reply.error().code + ": " + reply.error().message);
        return reply ? *reply : EfsReply{};
    }

    ApiError fails(std::string_view method, std::string_view target,
                   const json::object& body = {}) {
        auto reply = service_->call(method, target, body.empty() ? "" : json::serialize(body));
        EXPECT_FALSE(reply.has_value());
        return reply ? ApiError{} : reply.error();
    }

    std::string create_fs(std::string_view token) {
        auto reply = ok("POST", "/2015-02-01/file-systems", {{"CreationToken", token}});
        return std::string(reply.body->at("FileSystemId").as_string());
    }

    std::string create_ap(const std::string& fs, const json::object& extra = {}) {
        json::object body{{"ClientToken", "ct-" + std::to_string(++tokens_)}, {"FileSystemId", fs}};
        for (const auto& [k, v] : extra)
            body[k] = v;
        auto reply = ok("POST", "/2015-02-01/access-points", body);
        return std::string(reply.body->at("AccessPointId").as_string());
    }

    static std::string str(const json::value& v) { return std::string(v.as_string()); }

    Response admin(http::verb method, const std::string& target, std::string body = "") {
        Request req{method, target, 11};
        req.body() = std::move(body);
        req.prepare_payload();
        constexpr std::string_view kRoute = "/_awssim/efs/";
        std::string_view path = req.target();
        path = path.substr(0, path.find('?'));
        return serve_efs_admin(*state_, req, path.substr(kRoute.size()));
    }

    std::string dir_;
    std::optional<EfsState> state_;
    std::optional<EfsService> service_;
    int tokens_ = 0;
};

TEST_F(EfsServiceTest, CreateFileSystemIsIdempotentByToken) {
    auto reply = ok("POST", "/2015-02-01/file-systems",
                    {{"CreationToken", "tok"},
                     {"Tags", json::array{json::object{{"Key", "Name"}, {"Value", "agent"}}}}});
    EXPECT_EQ(reply.status, 201);
    const auto& fs = *reply.body;
    std::string id = str(fs.at("FileSystemId"));
    EXPECT_TRUE(id.starts_with("fs-"));
    EXPECT_EQ(id.size(), 20u);
    EXPECT_EQ(str(fs.at("FileSystemArn")),
              "arn:aws:elasticfilesystem:us-east-1:000000000000:file-system/" + id);
    EXPECT_EQ(str(fs.at("LifeCycleState")), "available");
    EXPECT_EQ(str(fs.at("Name")), "agent");
    EXPECT_EQ(str(fs.at("PerformanceMode")), "generalPurpose");
    EXPECT_EQ(fs.at("CreationTime").to_number<double>(), 1700000000.0);
    EXPECT_TRUE(std::filesystem::is_directory(dir_ + "/efs/" + id));

    auto again = ok("POST", "/2015-02-01/file-systems", {{"CreationToken", "tok"}});
    EXPECT_EQ(again.status, 409);
    EXPECT_EQ(again.error_code, "FileSystemAlreadyExists");
    EXPECT_EQ(str(again.body->at("FileSystemId")), id);
    EXPECT_EQ(str(again.body->at("Message")),
              "File system '" + id + "' already exists with creation token 'tok'");
}

TEST_F(EfsServiceTest, CreateFileSystemValidation) {
    EXPECT_EQ(fails("POST", "/2015-02-01/file-systems", {{"PerformanceMode", "maxIO"}}).code,
              "BadRequest");
    EXPECT_EQ(fails("POST", "/2015-02-01/file-systems",
                    {{"CreationToken", "a"}, {"ThroughputMode", "provisioned"}})
                  .code,
              "BadRequest");
    EXPECT_EQ(fails("POST", "/2015-02-01/file-systems",
                    {{"CreationToken", "b"}, {"AvailabilityZoneName", "us-east-1z"}})
                  .code,
              "UnsupportedAvailabilityZone");
    auto reply = ok("POST", "/2015-02-01/file-systems",
                    {{"CreationToken", "c"}, {"AvailabilityZoneName", "us-east-1b"}});
    EXPECT_EQ(str(reply.body->at("AvailabilityZoneId")), "use1-az2");
}

TEST_F(EfsServiceTest, DescribeFileSystems) {
    std::vector<std::string> ids;
    ids.reserve(3);
    for (int i = 0; i < 3; ++i)
        ids.push_back(create_fs("t" + std::to_string(i)));
    auto all = ok("GET", "/2015-02-01/file-systems");
    EXPECT_EQ(all.body->at("FileSystems").as_array().size(), 3u);
    auto by_token = ok("GET", "/2015-02-01/file-systems?CreationToken=t1");
    ASSERT_EQ(by_token.body->at("FileSystems").as_array().size(), 1u);
    EXPECT_EQ(str(by_token.body->at("FileSystems").at(0).at("FileSystemId")), ids[1]);
    auto page = ok("GET", "/2015-02-01/file-systems?MaxItems=2");
    EXPECT_EQ(page.body->at("FileSystems").as_array().size(), 2u);
    EXPECT_EQ(str(page.body->at("NextMarker")), ids[2]);
    auto rest = ok("GET", "/2015-02-01/file-systems?MaxItems=2&Marker=" + ids[2]);
    EXPECT_EQ(rest.body->at("FileSystems").as_array().size(), 1u);
    EXPECT_FALSE(rest.body->contains("NextMarker"));
    auto missing = fails("GET", "/2015-02-01/file-systems?FileSystemId=fs-0123456789abcdef0");
    EXPECT_EQ(missing.status, 404);
    EXPECT_EQ(missing.code, "FileSystemNotFound");
    EXPECT_EQ(missing.message, "File system 'fs-0123456789abcdef0' does not exist.");
}

TEST_F(EfsServiceTest, AccessPointCreatesItsRootDirectory) {
    std::string fs = create_fs("ap");
    json::object root{
        {"Path", "/agent/bin"},
        {"CreationInfo",
         json::object{{"OwnerUid", 1000}, {"OwnerGid", 1001}, {"Permissions", "750"}}}};
    auto reply = ok("POST", "/2015-02-01/access-points",
                    {{"ClientToken", "c1"},
                     {"FileSystemId", fs},
                     {"PosixUser", json::object{{"Uid", 1000}, {"Gid", 1001}}},
                     {"RootDirectory", root}});
    const auto& ap = *reply.body;
    std::string id = str(ap.at("AccessPointId"));
    EXPECT_TRUE(id.starts_with("fsap-"));
    EXPECT_EQ(str(ap.at("RootDirectory").at("Path")), "/agent/bin");
    EXPECT_EQ(ap.at("PosixUser").at("Uid").to_number<long>(), 1000);
    EXPECT_EQ(str(ap.at("LifeCycleState")), "available");

    std::string made = dir_ + "/efs/" + fs + "/agent/bin";
    struct stat st {};
    ASSERT_EQ(::stat(made.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0750u);
    if (::geteuid() == 0) {
        EXPECT_EQ(st.st_uid, 1000u);
        EXPECT_EQ(st.st_gid, 1001u);
    }
    ASSERT_EQ(::stat((dir_ + "/efs/" + fs + "/agent").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0755u);

    auto path = state_->host_path(fs, id);
    ASSERT_TRUE(path.has_value()) << path.error().message;
    EXPECT_EQ(*path, made);
    EXPECT_EQ(*state_->host_path(fs, ""), dir_ + "/efs/" + fs);

    auto dup =
        ok("POST", "/2015-02-01/access-points", {{"ClientToken", "c1"}, {"FileSystemId", fs}});
    EXPECT_EQ(dup.status, 409);
    EXPECT_EQ(dup.error_code, "AccessPointAlreadyExists");
    EXPECT_EQ(str(dup.body->at("AccessPointId")), id);
}

TEST_F(EfsServiceTest, AccessPointValidation) {
    std::string fs = create_fs("v");
    auto bad_path = fails("POST", "/2015-02-01/access-points",
                          {{"ClientToken", "x1"},
                           {"FileSystemId", fs},
                           {"RootDirectory", json::object{{"Path", "/a/../b"}}}});
    EXPECT_EQ(bad_path.code, "BadRequest");
    EXPECT_EQ(fails("POST", "/2015-02-01/access-points",
                    {{"ClientToken", "x2"},
                     {"FileSystemId", fs},
                     {"RootDirectory",
                      json::object{{"Path", "/a"},
                                   {"CreationInfo", json::object{{"OwnerUid", 0},
                                                                 {"OwnerGid", 0},
                                                                 {"Permissions", "999"}}}}}})
                  .code,
              "BadRequest");
    auto no_fs = fails("POST", "/2015-02-01/access-points",
                       {{"ClientToken", "x3"}, {"FileSystemId", "fs-0000000000000000a"}});
    EXPECT_EQ(no_fs.code, "FileSystemNotFound");
}

TEST_F(EfsServiceTest, HostPathRefusesMissingDirectoriesAndLinks) {
    std::string fs = create_fs("hp");
    std::string other = create_fs("hp2");
    std::string missing = create_ap(fs, {{"RootDirectory", json::object{{"Path", "/nope"}}}});
    auto err = state_->host_path(fs, missing);
    ASSERT_FALSE(err.has_value());
    EXPECT_EQ(err.error().code, "ResourceInitializationError");

    std::filesystem::create_directory_symlink("/etc", dir_ + "/efs/" + fs + "/link");
    std::string linked = create_ap(fs, {{"RootDirectory", json::object{{"Path", "/link"}}}});
    EXPECT_EQ(state_->host_path(fs, linked).error().code, "ResourceInitializationError");

    EXPECT_EQ(state_->host_path(other, missing).error().code, "BadRequest");
    EXPECT_EQ(state_->host_path("fs-0000000000000000b", "").error().code, "FileSystemNotFound");
    EXPECT_EQ(state_->host_path(fs, "fsap-0000000000000000c").error().code, "AccessPointNotFound");
}

TEST_F(EfsServiceTest, DescribeAndDeleteAccessPoints) {
    std::string fs = create_fs("d");
    std::string other = create_fs("d2");
    std::string a = create_ap(fs);
    std::string b = create_ap(fs);
    create_ap(other);
    auto of_fs = ok("GET", "/2015-02-01/access-points?FileSystemId=" + fs);
    EXPECT_EQ(of_fs.body->at("AccessPoints").as_array().size(), 2u);
    auto page = ok("GET", "/2015-02-01/access-points?MaxResults=1&FileSystemId=" + fs);
    EXPECT_EQ(str(page.body->at("NextToken")), b);
    auto one = ok("GET", "/2015-02-01/access-points?AccessPointId=" + a);
    EXPECT_EQ(str(one.body->at("AccessPoints").at(0).at("AccessPointId")), a);
    EXPECT_EQ(
        fails("GET", "/2015-02-01/access-points?AccessPointId=" + a + "&FileSystemId=" + fs).code,
        "BadRequest");

    auto in_use = fails("DELETE", "/2015-02-01/file-systems/" + fs);
    EXPECT_EQ(in_use.status, 409);
    EXPECT_EQ(in_use.code, "FileSystemInUse");
    EXPECT_EQ(ok("DELETE", "/2015-02-01/access-points/" + a).status, 204);
    EXPECT_EQ(fails("DELETE", "/2015-02-01/access-points/" + a).code, "AccessPointNotFound");
    ok("DELETE", "/2015-02-01/access-points/" + b);
    EXPECT_EQ(ok("DELETE", "/2015-02-01/file-systems/" + fs).status, 204);
    EXPECT_FALSE(std::filesystem::exists(dir_ + "/efs/" + fs));
    EXPECT_EQ(fails("DELETE", "/2015-02-01/file-systems/" + fs).status, 404);
}

TEST_F(EfsServiceTest, Tags) {
    std::string fs = create_fs("tags");
    std::string arn =
        "arn%3Aaws%3Aelasticfilesystem%3Aus-east-1%3A000000000000%3Afile-system%2F" + fs;
    ok("POST", "/2015-02-01/resource-tags/" + arn,
       {{"Tags", json::array{json::object{{"Key", "a"}, {"Value", "1"}},
                             json::object{{"Key", "b"}, {"Value", "2"}}}}});
    ok("DELETE", "/2015-02-01/resource-tags/" + fs + "?tagKeys=a&tagKeys=zz");
    auto listed = ok("GET", "/2015-02-01/resource-tags/" + fs);
    EXPECT_EQ(json::serialize(listed.body->at("Tags")), R"([{"Key":"b","Value":"2"}])");
    EXPECT_EQ(fails("GET", "/2015-02-01/resource-tags/fsap-0000000000000000d").code,
              "AccessPointNotFound");
    EXPECT_EQ(fails("POST", "/2015-02-01/resource-tags/" + fs,
                    {{"Tags", json::array{json::object{{"Key", "aws:x"}, {"Value", "1"}}}}})
                  .code,
              "BadRequest");
}

TEST_F(EfsServiceTest, UnknownRoutes) {
    EXPECT_EQ(fails("PUT", "/2015-02-01/file-systems").code, "UnknownOperationException");
    EXPECT_EQ(fails("GET", "/2015-02-01/mount-targets").code, "UnknownOperationException");
    Request req{http::verb::delete_, "/2015-02-01/access-points/fsap-1", 11};
    EXPECT_EQ(service_->operation(req), "DeleteAccessPoint");
}

TEST_F(EfsServiceTest, AdminRouteStagesFiles) {
    std::string fs = create_fs("admin");
    auto put = admin(http::verb::put, "/_awssim/efs/" + fs + "/agent/sockerless-agent?mode=0755",
                     "#!/bin/sh\necho hi\n");
    ASSERT_EQ(put.result_int(), 200u) << put.body();
    std::string file = dir_ + "/efs/" + fs + "/agent/sockerless-agent";
    struct stat st {};
    ASSERT_EQ(::stat(file.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0755u);
    auto got = admin(http::verb::get, "/_awssim/efs/" + fs + "/agent/sockerless-agent");
    EXPECT_EQ(got.result_int(), 200u);
    EXPECT_EQ(got.body(), "#!/bin/sh\necho hi\n");

    EXPECT_EQ(admin(http::verb::put, "/_awssim/efs/" + fs + "/../escape", "x").result_int(), 400u);
    EXPECT_EQ(admin(http::verb::put, "/_awssim/efs/" + fs + "/a/%2e%2e/%2e%2e/x", "x").result_int(),
              400u);
    std::filesystem::create_directory_symlink(dir_, dir_ + "/efs/" + fs + "/out");
    EXPECT_EQ(admin(http::verb::put, "/_awssim/efs/" + fs + "/out/x", "x").result_int(), 400u);
    EXPECT_FALSE(std::filesystem::exists(dir_ + "/x"));
    std::filesystem::create_symlink("/etc/hostname", dir_ + "/efs/" + fs + "/host");
    EXPECT_NE(admin(http::verb::get, "/_awssim/efs/" + fs + "/host").result_int(), 200u);
    EXPECT_EQ(admin(http::verb::put, "/_awssim/efs/fs-0000000000000000e/x", "x").result_int(),
              404u);
    EXPECT_EQ(admin(http::verb::put, "/_awssim/efs/" + fs + "/x?mode=9", "x").result_int(), 400u);
    EXPECT_EQ(admin(http::verb::get, "/_awssim/efs/" + fs + "/nothing").result_int(), 404u);
}

TEST_F(EfsServiceTest, StateSurvivesRestart) {
    std::string fs = create_fs("persist");
    std::string ap =
        create_ap(fs, {{"Tags", json::array{json::object{{"Key", "Name"}, {"Value", "x"}}}}});
    EfsState reloaded(dir_ + "/efs", "us-east-1");
    EXPECT_TRUE(reloaded.load_error().empty());
    ASSERT_NE(reloaded.find_file_system(fs), nullptr);
    EXPECT_EQ(reloaded.find_file_system(fs)->creation_token, "persist");
    ASSERT_NE(reloaded.find_access_point(ap), nullptr);
    EXPECT_EQ(reloaded.find_access_point(ap)->tags.at(0).second, "x");
}

}  // namespace
}  // namespace sockerless::awssim
