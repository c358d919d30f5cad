#include "registry/progress.h"

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

Image image_with_layers(const std::vector<std::string>& names) {
    Image image;
    image.manifest_digest = compute_digest("sha256", "manifest").str();
    for (const std::string& n : names)
        image.layers.push_back(Layer{compute_digest("sha256", n).str(), 10, ""});
    return image;
}

TEST(Progress, LinesAreJsonMessagesWithCrlf) {
    EXPECT_EQ(status_line("Pulling from library/busybox", "latest"),
              "{\"status\":\"Pulling from library/busybox\",\"id\":\"latest\"}\r\n");
    EXPECT_EQ(status_line("Digest: sha256:ab"), "{\"status\":\"Digest: sha256:ab\"}\r\n");
    EXPECT_EQ(
        layer_line("Pulling fs layer", "0123456789ab"),
        "{\"status\":\"Pulling fs layer\",\"progressDetail\":{},\"id\":\"0123456789ab\"}\r\n");
    EXPECT_EQ(error_line("manifest for x:y not found"),
              "{\"errorDetail\":{\"message\":\"manifest for x:y not found\"},"
              "\"error\":\"manifest for x:y not found\"}\r\n");
}

TEST(Progress, StringsAreEscapedAsGoEscapesThem) {
    EXPECT_EQ(go_json_string("a\"b\\c\n\r\t"), R"("a\"b\\c\n\r\t")");
    EXPECT_EQ(go_json_string("<a&b>"), R"("\u003ca\u0026b\u003e")");
    EXPECT_EQ(go_json_string(std::string("\x01\x1f", 2)), R"("\u0001\u001f")");
    EXPECT_EQ(go_json_string("caf\xc3\xa9 \xe2\x82\xac"), "\"caf\xc3\xa9 \xe2\x82\xac\"");
    EXPECT_EQ(go_json_string("bad\xff\xc3"), R"("bad\ufffd\ufffd")");
    EXPECT_EQ(go_json_string("\xe2\x80\xa8"), R"("\u2028")");
    EXPECT_EQ(go_json_string("\xed\xa0\x80"), R"("\ufffd\ufffd\ufffd")");  // a surrogate
}

TEST(Progress, FreshPullMatchesGolden) {
    const Reference ref = *parse_reference("busybox");
    Image image = image_with_layers({"layer-1", "layer-2", "layer-1"});
    PullReport report;
    report.known_layers.insert(compute_digest("sha256", "layer-2").str());
    const std::string stream = pull_header(ref) + pull_body(ref, image, report);
    EXPECT_EQ(stream, golden("pull_fresh.golden"));
}

TEST(Progress, UpToDatePullMatchesGolden) {
    const Reference ref =
        *parse_reference("127.0.0.1:5000/team/app@sha256:" + std::string(64, 'c'));
    PullReport report;
    report.up_to_date = true;
    const std::string stream =
        pull_header(ref) + pull_body(ref, image_with_layers({"layer-1"}), report);
    EXPECT_EQ(stream, golden("pull_up_to_date.golden"));
}

}  // namespace
}  // namespace sockerless::registry
