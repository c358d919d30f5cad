#include "registry/reference.h"

#include <gtest/gtest.h>

#include <cctype>

namespace sockerless::registry {
namespace {

const std::string kHex(64, 'a');
const std::string kDigest = "sha256:" + std::string(64, 'b');

struct Case {
    std::string input;
    std::string domain;
    std::string path;
    std::string tag;
    std::string digest;
    std::string familiar_name;
    std::string familiar_string;
    std::string canonical;
};

void PrintTo(const Case& c, std::ostream* os) {
    *os << c.input;
}

// Stable, readable test names: the input with every other character as '_'.
std::string case_name(const ::testing::TestParamInfo<Case>& info) {
    std::string name = std::to_string(info.index) + "_";
    for (char ch : info.param.input)
        name += std::isalnum(static_cast<unsigned char>(ch)) != 0 ? ch : '_';
    return name.substr(0, 40);
}

class ReferenceNormalization : public ::testing::TestWithParam<Case> {};

TEST_P(ReferenceNormalization, ParsesAndPrintsAsDocker) {
    const Case& c = GetParam();
    Result<Reference> ref = parse_reference(c.input);
    ASSERT_TRUE(ref) << c.input << ": " << ref.error().message;
    EXPECT_EQ(ref->domain, c.domain);
    EXPECT_EQ(ref->path, c.path);
    EXPECT_EQ(ref->tag, c.tag);
    EXPECT_EQ(ref->digest, c.digest);
    EXPECT_EQ(ref->familiar_name(), c.familiar_name);
    EXPECT_EQ(ref->familiar_string(), c.familiar_string);
    EXPECT_EQ(ref->canonical_string(), c.canonical);
}

INSTANTIATE_TEST_SUITE_P(
    Docker, ReferenceNormalization,
    ::testing::Values(
        Case{"busybox", "docker.io", "library/busybox", "latest", "", "busybox", "busybox:latest",
             "docker.io/library/busybox:latest"},
        Case{"busybox:1.36", "docker.io", "library/busybox", "1.36", "", "busybox", "busybox:1.36",
             "docker.io/library/busybox:1.36"},
        Case{"docker.io/library/busybox", "docker.io", "library/busybox", "latest", "", "busybox",
             "busybox:latest", "docker.io/library/busybox:latest"},
        Case{"index.docker.io/library/busybox:x", "docker.io", "library/busybox", "x", "",
             "busybox", "busybox:x", "docker.io/library/busybox:x"},
        Case{"user/app", "docker.io", "user/app", "latest", "", "user/app", "user/app:latest",
             "docker.io/user/app:latest"},
        Case{"docker.io/library/a/b", "docker.io", "library/a/b", "latest", "", "library/a/b",
             "library/a/b:latest", "docker.io/library/a/b:latest"},
        Case{"127.0.0.1:5000/x/y:t", "127.0.0.1:5000", "x/y", "t", "", "127.0.0.1:5000/x/y",
             "127.0.0.1:5000/x/y:t", "127.0.0.1:5000/x/y:t"},
        Case{"127.0.0.1:5000/busybox", "127.0.0.1:5000", "busybox", "latest", "",
             "127.0.0.1:5000/busybox", "127.0.0.1:5000/busybox:latest",
             "127.0.0.1:5000/busybox:latest"},
        Case{"localhost/app", "localhost", "app", "latest", "", "localhost/app",
             "localhost/app:latest", "localhost/app:latest"},
        Case{"[::1]:5000/app:v2", "[::1]:5000", "app", "v2", "", "[::1]:5000/app",
             "[::1]:5000/app:v2", "[::1]:5000/app:v2"},
        Case{"registry.example.com/team/app", "registry.example.com", "team/app", "latest", "",
             "registry.example.com/team/app", "registry.example.com/team/app:latest",
             "registry.example.com/team/app:latest"},
        Case{"busybox@" + kDigest, "docker.io", "library/busybox", "", kDigest, "busybox",
             "busybox@" + kDigest, "docker.io/library/busybox@" + kDigest},
        Case{"busybox:1.36@" + kDigest, "docker.io", "library/busybox", "1.36", kDigest, "busybox",
             "busybox:1.36@" + kDigest, "docker.io/library/busybox:1.36@" + kDigest},
        Case{"a-b__c.d_e---f:Tag_1.x-y", "docker.io", "library/a-b__c.d_e---f", "Tag_1.x-y", "",
             "a-b__c.d_e---f", "a-b__c.d_e---f:Tag_1.x-y",
             "docker.io/library/a-b__c.d_e---f:Tag_1.x-y"},
        // An uppercase first component is a registry host, not a Docker Hub namespace.
        Case{"Example/app", "Example", "app", "latest", "", "Example/app", "Example/app:latest",
             "Example/app:latest"}),
    case_name);

void expect_invalid(const std::string& input, const std::string& message) {
    Result<Reference> ref = parse_reference(input);
    ASSERT_FALSE(ref) << input << " parsed as " << ref->canonical_string();
    EXPECT_EQ(ref.error().code, Errc::invalid_argument) << input;
    EXPECT_EQ(ref.error().message, message) << input;
}

TEST(Reference, UppercaseRepositoryIsRefusedWithDockersWording) {
    expect_invalid("Busybox", "invalid reference format: repository name must be lowercase");
    expect_invalid("user/App:1", "invalid reference format: repository name must be lowercase");
    expect_invalid("127.0.0.1:5000/Busybox",
                   "invalid reference format: repository name must be lowercase");
}

TEST(Reference, MalformedInputIsInvalidReferenceFormat) {
    for (const std::string& input : std::vector<std::string>{
             "", ":", "busybox:", "a b", "busybox:tag with space", "-busybox", "busy..box",
             "busybox/", "/busybox", "busybox//x", "busybox@sha256:abc", "busybox@", "host:/x",
             "host:port/x", "busybox:" + std::string(129, 't'), "busybox:.tag", "a_-b",
             "exa_mple.com:5000/x"}) {
        expect_invalid(input, "invalid reference format");
    }
}

TEST(Reference, SixtyFourHexIsRefusedAsAName) {
    expect_invalid(
        kHex, "invalid repository name (" + kHex + "), cannot specify 64-byte hexadecimal strings");
}

TEST(Reference, NamesOver255CharactersAreRefused) {
    const std::string long_name = "registry.example.com/" + std::string(240, 'a');
    expect_invalid(long_name, "repository name must not be more than 255 characters");
}

TEST(Reference, DigestMustBeComputable) {
    Result<Reference> short_hex = parse_reference("busybox@sha256:" + std::string(40, 'a'));
    ASSERT_FALSE(short_hex);
    EXPECT_EQ(short_hex.error().code, Errc::invalid_argument);
    EXPECT_NE(short_hex.error().message.find("invalid digest"), std::string::npos);
}

TEST(Reference, ManifestReferencePrefersTheDigest) {
    EXPECT_EQ(parse_reference("busybox")->manifest_reference(), "latest");
    EXPECT_EQ(parse_reference("busybox:1@" + kDigest)->manifest_reference(), kDigest);
}

TEST(Reference, FamiliarReferenceIsWhatImagesAreRecordedUnder) {
    EXPECT_EQ(*familiar_reference("docker.io/library/busybox"), "busybox:latest");
    EXPECT_EQ(*familiar_reference("127.0.0.1:5000/x"), "127.0.0.1:5000/x:latest");
    EXPECT_FALSE(familiar_reference("UPPER"));
}

TEST(Reference, DockerHubIsServedByRegistryOne) {
    EXPECT_EQ(registry_host("docker.io"), "registry-1.docker.io");
    EXPECT_EQ(registry_host("127.0.0.1:5000"), "127.0.0.1:5000");
    EXPECT_EQ(registry_host("ghcr.io"), "ghcr.io");
}

TEST(Reference, ServerAddressesReduceToTheirDomain) {
    EXPECT_EQ(normalize_server_address(""), "docker.io");
    EXPECT_EQ(normalize_server_address("https://index.docker.io/v1/"), "docker.io");
    EXPECT_EQ(normalize_server_address("registry-1.docker.io"), "docker.io");
    EXPECT_EQ(normalize_server_address("http://127.0.0.1:5000/"), "127.0.0.1:5000");
    EXPECT_EQ(normalize_server_address("myregistry:5000"), "myregistry:5000");
    EXPECT_EQ(normalize_server_address("https://ghcr.io/v2/"), "ghcr.io");
}

}  // namespace
}  // namespace sockerless::registry
