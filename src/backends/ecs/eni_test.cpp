#include "backends/ecs/eni.h"

#include <gtest/gtest.h>

namespace sockerless::ecs {
namespace {

constexpr std::string_view kArn = "arn:aws:ecs:us-east-1:012345678910:task/sockerless/0b69d5c0d0e4";

aws::EcsAttachment eni(std::string id, std::vector<aws::NameValue> details) {
    return aws::EcsAttachment{std::move(id), "ElasticNetworkInterface", "ATTACHED",
                              std::move(details)};
}

aws::EcsTask task_with(std::vector<aws::EcsAttachment> attachments) {
    aws::EcsTask t;
    t.task_arn = kArn;
    t.last_status = "RUNNING";
    t.attachments = std::move(attachments);
    return t;
}

void expect_diagnostic(const Result<std::string>& r, Errc code, std::string_view problem,
                       std::string_view attachment_json) {
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, code);
    const std::string& m = r.error().message;
    EXPECT_TRUE(m.starts_with("ecs: agent injection: ")) << m;
    EXPECT_NE(m.find(kArn), std::string::npos) << m;
    EXPECT_NE(m.find(problem), std::string::npos) << m;
    EXPECT_NE(m.find(attachment_json), std::string::npos) << m;
}

TEST(AgentAddress, SingleEni) {
    auto task = task_with({eni("a1", {{"subnetId", "subnet-0abcd1234"},
                                      {"networkInterfaceId", "eni-0fa40520ae"},
                                      {"privateIPv4Address", "10.0.1.47"}})});
    auto address = agent_address(task, 9111);
    ASSERT_TRUE(address.has_value()) << address.error().message;
    EXPECT_EQ(*address, "10.0.1.47:9111");
    EXPECT_EQ(*agent_address(task, 1), "10.0.1.47:1");
}

TEST(AgentAddress, MissingEniCarriesAllAttachments) {
    auto task = task_with({aws::EcsAttachment{"x1", "ServiceConnect", "ATTACHED", {{"k", "v"}}}});
    expect_diagnostic(
        agent_address(task, 9111), Errc::unavailable, "no ElasticNetworkInterface attachment",
        R"([{"id":"x1","type":"ServiceConnect","status":"ATTACHED","details":[{"name":"k","value":"v"}]}])");
    expect_diagnostic(agent_address(task_with({}), 9111), Errc::unavailable,
                      "no ElasticNetworkInterface attachment", "attachments: []");
}

TEST(AgentAddress, MultipleEnisUseTheFirst) {
    auto task = task_with({
        aws::EcsAttachment{"s1", "ServiceConnect", "ATTACHED", {}},
        eni("primary", {{"privateIPv4Address", "10.0.1.47"}}),
        eni("secondary", {{"privateIPv4Address", "10.0.2.9"}}),
    });
    EXPECT_EQ(*agent_address(task, 9111), "10.0.1.47:9111");
}

TEST(AgentAddress, MissingKey) {
    auto task = task_with({eni("a1", {{"subnetId", "subnet-0abcd1234"},
                                      {"privateDnsName", "ip-10-0-1-47.ec2.internal"}})});
    expect_diagnostic(
        agent_address(task, 9111), Errc::unavailable, "a1 has no privateIPv4Address",
        R"([{"id":"a1","type":"ElasticNetworkInterface","status":"ATTACHED","details":[{"name":"subnetId","value":"subnet-0abcd1234"},{"name":"privateDnsName","value":"ip-10-0-1-47.ec2.internal"}]}])");
    // Not falling through to a later ENI: the primary one is the one the agent binds.
    task.attachments.push_back(eni("a2", {{"privateIPv4Address", "10.0.2.9"}}));
    EXPECT_FALSE(agent_address(task, 9111).has_value());
}

TEST(AgentAddress, EmptyOrMalformedAddress) {
    expect_diagnostic(agent_address(task_with({eni("a1", {{"privateIPv4Address", ""}})}), 9111),
                      Errc::unavailable, "has no privateIPv4Address", "\"a1\"");
    for (std::string_view bad : {"10.0.1", "10.0.1.256", "10.0.1.47.1", "10.0.01.47", "10.0.1.x",
                                 "10.0.1.47:9111", "fe80::1", " 10.0.1.47", "10..1.47"}) {
        auto task = task_with({eni("a1", {{"privateIPv4Address", std::string(bad)}})});
        expect_diagnostic(agent_address(task, 9111), Errc::internal, "is not an IPv4 address",
                          std::string(bad));
    }
}

}  // namespace
}  // namespace sockerless::ecs
