#include "registry/manifest.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "registry/digest.h"

namespace sockerless::registry {
namespace {

std::string golden(const std::string& name) {
    std::ifstream in(std::string(SOCKERLESS_REGISTRY_TESTDATA) + "/" + name, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

// The test data's digests are the sha256 of short names ("layer-1"), so tests can name them.
std::string d(std::string_view name) {
    return compute_digest("sha256", name).str();
}

TEST(Manifest, AcceptHeaderListsDockerAndOciTypesInOrder) {
    EXPECT_EQ(manifest_accept_header(),
              "application/vnd.docker.distribution.manifest.v2+json, "
              "application/vnd.docker.distribution.manifest.list.v2+json, "
              "application/vnd.oci.image.manifest.v1+json, "
              "application/vnd.oci.image.index.v1+json");
}

TEST(Manifest, ParsesDockerSchema2) {
    Result<Manifest> m = parse_manifest(golden("docker_manifest.json"), "");
    ASSERT_TRUE(m) << m.error().message;
    EXPECT_EQ(m->kind, Manifest::Kind::image);
    EXPECT_EQ(m->media_type, kDockerManifest);
    EXPECT_EQ(m->config.digest, d("config-a"));
    EXPECT_EQ(m->config.size, 1457);
    EXPECT_EQ(m->config.media_type, "application/vnd.docker.container.image.v1+json");
    ASSERT_EQ(m->layers.size(), 4U);
    EXPECT_EQ(m->layers[0].digest, d("layer-1"));
    EXPECT_EQ(m->layers[0].size, 2107098);
    EXPECT_EQ(m->layers[3].digest, d("layer-empty"));
}

TEST(Manifest, ParsesOciManifest) {
    Result<Manifest> m = parse_manifest(golden("oci_manifest.json"), kOciManifest);
    ASSERT_TRUE(m) << m.error().message;
    EXPECT_EQ(m->kind, Manifest::Kind::image);
    EXPECT_EQ(m->media_type, kOciManifest);
    EXPECT_EQ(m->config.digest, d("config-b"));
    ASSERT_EQ(m->layers.size(), 1U);
    EXPECT_EQ(m->layers[0].media_type, "application/vnd.oci.image.layer.v1.tar+gzip");
}

TEST(Manifest, ParsesManifestListWithPlatforms) {
    Result<Manifest> m = parse_manifest(golden("docker_manifest_list.json"), "");
    ASSERT_TRUE(m) << m.error().message;
    EXPECT_EQ(m->kind, Manifest::Kind::index);
    EXPECT_EQ(m->media_type, kDockerManifestList);
    ASSERT_EQ(m->manifests.size(), 8U);
    ASSERT_TRUE(m->manifests[4].platform);
    EXPECT_EQ(*m->manifests[4].platform, (Platform{"linux", "arm64", "v8"}));
}

TEST(Manifest, TypeComesFromContentTypeOrShapeWhenTheBodyOmitsIt) {
    const std::string index_body =
        R"({"schemaVersion":2,"manifests":[{"mediaType":")" + std::string(kOciManifest) +
        R"(","digest":")" + d("x") +
        R"(","size":1,"platform":{"os":"linux","architecture":"amd64"}}]})";
    Result<Manifest> by_header = parse_manifest(
        index_body, "application/vnd.docker.distribution.manifest.list.v2+json; charset=utf-8");
    ASSERT_TRUE(by_header) << by_header.error().message;
    EXPECT_EQ(by_header->media_type, kDockerManifestList);
    Result<Manifest> by_shape = parse_manifest(index_body, "application/json");
    ASSERT_TRUE(by_shape) << by_shape.error().message;
    EXPECT_EQ(by_shape->media_type, kOciIndex);
    EXPECT_EQ(by_shape->kind, Manifest::Kind::index);

    const std::string image_body =
        R"({"schemaVersion":2,"config":{"digest":")" + d("c") + R"(","size":2},"layers":[]})";
    Result<Manifest> image = parse_manifest(image_body, "");
    ASSERT_TRUE(image) << image.error().message;
    EXPECT_EQ(image->media_type, kOciManifest);
}

TEST(Manifest, RefusesSchema1AndMalformedManifests) {
    Result<Manifest> schema1 = parse_manifest(R"({"schemaVersion":1,"name":"x","fsLayers":[]})",
                                              std::string(kDockerSchema1Signed));
    ASSERT_FALSE(schema1);
    EXPECT_EQ(schema1.error().code, Errc::invalid_argument);
    EXPECT_TRUE(schema1.error().message.starts_with("unsupported manifest format"));

    for (const std::string& bad : std::vector<std::string>{
             std::string("not json"), std::string("[]"),
             R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"})",
             R"({"schemaVersion":2,"mediaType":"text/plain","config":{}})",
             R"({"schemaVersion":3,"config":{"digest":")" + d("c") + R"(","size":1}})",
             R"({"schemaVersion":2,"config":{"digest":"sha256:nothex","size":1}})",
             R"({"schemaVersion":2,"config":{"digest":")" + d("c") + R"(","size":-1}})",
             R"({"schemaVersion":2,"config":{"digest":")" + d("c") + R"(","size":"1"}})",
             R"({"schemaVersion":2,"manifests":{}})"}) {
        Result<Manifest> m = parse_manifest(bad, "");
        ASSERT_FALSE(m) << bad;
        EXPECT_EQ(m.error().code, Errc::invalid_argument) << bad;
    }
}

TEST(Manifest, SelectsThePlatformFromAList) {
    Result<Manifest> list = parse_manifest(golden("docker_manifest_list.json"), "");
    ASSERT_TRUE(list);
    EXPECT_EQ(select_manifest(*list, {"linux", "amd64", ""})->digest, d("m-amd64"));
    EXPECT_EQ(select_manifest(*list, {"linux", "arm64", ""})->digest, d("m-arm64"));
    EXPECT_EQ(select_manifest(*list, {"linux", "arm", "v7"})->digest, d("m-arm-v7"));
    EXPECT_EQ(select_manifest(*list, {"linux", "arm", "v6"})->digest, d("m-arm-v6"));
    EXPECT_EQ(select_manifest(*list, {"windows", "amd64", ""})->digest, d("m-win"));
    Result<Descriptor> none = select_manifest(*list, {"linux", "s390x", ""});
    ASSERT_FALSE(none);
    EXPECT_EQ(none.error().code, Errc::not_found);
    EXPECT_EQ(none.error().message,
              "no matching manifest for linux/s390x in the manifest list entries");
}

TEST(Manifest, AttestationsWithUnknownPlatformAreNeverSelected) {
    Result<Manifest> index = parse_manifest(golden("oci_index.json"), "");
    ASSERT_TRUE(index) << index.error().message;
    EXPECT_EQ(select_manifest(*index, {"linux", "amd64", ""})->digest, d("i-amd64"));
    EXPECT_EQ(select_manifest(*index, {"linux", "arm64", "v8"})->digest, d("i-arm64"));
    Result<Descriptor> arm = select_manifest(*index, {"linux", "arm", "v7"});
    ASSERT_FALSE(arm);
    EXPECT_EQ(arm.error().message,
              "no matching manifest for linux/arm/v7 in the manifest list entries");
    EXPECT_EQ(index->manifests[2].annotations.at("vnd.docker.reference.type"),
              "attestation-manifest");
}

TEST(ImageConfig, ParsesEverythingCreateMerges) {
    Result<ImageConfig> c = parse_image_config(golden("config_full.json"));
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_EQ(c->env, (std::vector<std::string>{
                          "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                          "APP_VERSION=1.2.3"}));
    EXPECT_EQ(c->entrypoint, (std::vector<std::string>{"/docker-entrypoint.sh"}));
    EXPECT_EQ(c->cmd, (std::vector<std::string>{"app", "-g", "daemon off;"}));
    EXPECT_EQ(c->working_dir, "/srv");
    EXPECT_EQ(c->user, "101:101");
    EXPECT_EQ(c->labels,
              (std::map<std::string, std::string>{{"maintainer", "team@example.com"},
                                                  {"org.opencontainers.image.version", "1.2.3"}}));
    EXPECT_EQ(c->exposed_ports, (std::set<std::string>{"443/tcp", "53/udp", "80/tcp"}));
    EXPECT_EQ(c->volumes, (std::set<std::string>{"/data", "/var/cache/app"}));
    EXPECT_EQ(c->stop_signal, "SIGQUIT");
    ASSERT_TRUE(c->healthcheck);
    EXPECT_EQ(*c->healthcheck,
              (HealthConfig{{"CMD-SHELL", "wget -q -O- http://localhost/ || exit 1"},
                            30'000'000'000,
                            5'000'000'000,
                            10'000'000'000,
                            2'000'000'000,
                            3}));
    EXPECT_EQ(c->os, "linux");
    EXPECT_EQ(c->architecture, "amd64");
    EXPECT_EQ(c->variant, "");
    EXPECT_EQ(c->created, "2024-02-03T04:05:06.789Z");
}

TEST(ImageConfig, NullsAndAbsentFieldsAreEmpty) {
    Result<ImageConfig> c = parse_image_config(golden("config_minimal.json"));
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_EQ(c->cmd, (std::vector<std::string>{"sh"}));
    EXPECT_TRUE(c->entrypoint.empty());
    EXPECT_TRUE(c->labels.empty());
    EXPECT_FALSE(c->healthcheck);
    EXPECT_EQ(c->architecture, "arm64");
    EXPECT_EQ(c->variant, "v8");

    Result<ImageConfig> bare = parse_image_config(R"({"architecture":"amd64","os":"linux"})");
    ASSERT_TRUE(bare);
    EXPECT_TRUE(bare->env.empty());
    Result<ImageConfig> null_config = parse_image_config(R"({"config":null})");
    ASSERT_TRUE(null_config);
}

TEST(ImageConfig, FieldNamesMatchCaseInsensitivelyAsGoDoes) {
    Result<ImageConfig> c = parse_image_config(
        R"({"OS":"linux","config":{"env":["A=1"],"cmd":["x"],"workingdir":"/w"}})");
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_EQ(c->os, "linux");
    EXPECT_EQ(c->env, (std::vector<std::string>{"A=1"}));
    EXPECT_EQ(c->cmd, (std::vector<std::string>{"x"}));
    EXPECT_EQ(c->working_dir, "/w");
}

TEST(ImageConfig, WrongTypesAreInvalid) {
    for (const char* bad :
         {R"({"config":{"Env":"PATH=/bin"}})", R"({"config":{"Cmd":[1]}})",
          R"({"config":{"Labels":{"a":1}}})", R"({"config":{"Healthcheck":{"Interval":"30s"}}})",
          R"({"config":[]})", R"({"os":7})", "{"}) {
        Result<ImageConfig> c = parse_image_config(bad);
        ASSERT_FALSE(c) << bad;
        EXPECT_EQ(c.error().code, Errc::invalid_argument) << bad;
    }
}

TEST(Image, MadeFromManifestAndConfig) {
    Result<Manifest> m = parse_manifest(golden("docker_manifest.json"), "");
    ASSERT_TRUE(m);
    const Reference ref = *parse_reference("busybox:1.36");
    const std::string config = golden("config_full.json");
    Result<Image> image = make_image(ref, d("list"), d("manifest"), *m, config);
    ASSERT_TRUE(image) << image.error().message;
    EXPECT_EQ(image->id, d("config-a"));
    EXPECT_EQ(image->manifest_digest, d("list"));
    EXPECT_EQ(image->platform_manifest_digest, d("manifest"));
    EXPECT_EQ(image->repo_digests, (std::vector<std::string>{"busybox@" + d("list")}));
    ASSERT_EQ(image->layers.size(), 4U);
    EXPECT_EQ(image->size, 2107098 + 3301 + 32 + 32);
    EXPECT_EQ(image->config.user, "101:101");
    EXPECT_EQ(image->config_json, config);
    EXPECT_EQ(image->created, "2024-02-03T04:05:06.789Z");

    Result<Manifest> list = parse_manifest(golden("oci_index.json"), "");
    ASSERT_TRUE(list);
    EXPECT_FALSE(make_image(ref, d("x"), d("x"), *list, config));
    EXPECT_FALSE(make_image(ref, d("x"), d("x"), *m, "{not json"));
}

}  // namespace
}  // namespace sockerless::registry
