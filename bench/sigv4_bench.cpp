// SigV4 signing throughput of the project's signer on a typical ECS RunTask request (JSON 1.1,
// 2 KiB body, session token). Prints one JSON line; bench/sigv4_compare.py runs it beside
// botocore's signer on the same request and prints the ratio.
// Usage: sigv4_bench [--seconds S]

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>

#include "aws/sigv4.h"

namespace {
using Clock = std::chrono::steady_clock;

sockerless::aws::HttpRequest run_task_request() {
    sockerless::aws::HttpRequest req;
    req.method = "POST";
    req.host = "ecs.us-east-1.amazonaws.com";
    req.path = "/";
    req.headers = {{"Content-Type", "application/x-amz-json-1.1"},
                   {"X-Amz-Target", "AmazonEC2ContainerServiceV20141113.RunTask"}};
    req.body =
        R"({"cluster":"sockerless","taskDefinition":"sockerless-3f2a:1","launchType":"FARGATE",)"
        R"("networkConfiguration":{"awsvpcConfiguration":{"subnets":["subnet-0a1b2c3d"],)"
        R"("securityGroups":["sg-0a1b2c3d"],"assignPublicIp":"DISABLED"}},"overrides":)"
        R"({"containerOverrides":[{"name":"main","environment":[)";
    while (req.body.size() < 2000)
        req.body += R"({"name":"VAR","value":"some value of moderate length"},)";
    req.body += R"({"name":"LAST","value":"x"}]}]}})";
    return req;
}

}  // namespace

int main(int argc, char** argv) {
    double seconds = 2.0;
    for (int i = 1; i + 1 < argc; ++i) {
        if (std::strcmp(argv[i], "--seconds") == 0) seconds = std::stod(argv[++i]);
    }
    const sockerless::aws::Credentials creds{
        "ASIAEXAMPLEEXAMPLE01", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", std::string(400, 'T')};
    const auto base = run_task_request();
    const auto now = std::chrono::system_clock::now();
    long signs = 0;
    std::size_t sink = 0;
    auto start = Clock::now();
    auto deadline = start + std::chrono::duration<double>(seconds);
    while (Clock::now() < deadline) {
        for (int k = 0; k < 100; ++k) {
            auto req = base;
            sockerless::aws::sign(req, creds, "us-east-1", "ecs", now);
            sink += req.headers.size();
        }
        signs += 100;
    }
    double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    std::printf("{\"signs\": %ld, \"seconds\": %.3f, \"signs_per_second\": %.0f, \"sink\": %zu}\n",
                signs, elapsed, static_cast<double>(signs) / elapsed, sink);
    return 0;
}
