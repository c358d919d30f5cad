#pragma once
// `sockerless-admin payload-bucket setup|check|policies` (docs/payload-bucket.md, "Command"): the
// operator's way to create or verify the launch-payload bucket and to get the two IAM policies.
// The command reads the daemon's own configuration (load_ecs_config: the YAML file,
// SOCKERLESS_ECS_* variables, one flag per configuration key), so it checks the bucket, prefix,
// region and endpoint the daemon will use, and refuses a configuration the daemon would refuse.
//
// Everything here returns text and an exit status instead of printing, so the argument handling
// and every message are unit-tested; the main only prints what it gets.
//
// Exit statuses: 0 done (check: nothing wrong); 1 check found problems, or S3 refused or failed;
// 2 bad arguments or configuration, nothing sent to S3.

#include <map>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "aws/credentials.h"
#include "aws/transport.h"
#include "backends/ecs/config.h"

namespace sockerless::aws {
class S3Client;
}  // namespace sockerless::aws

namespace sockerless::ecs {

inline constexpr int kAdminOk = 0;
inline constexpr int kAdminProblems = 1;
inline constexpr int kAdminUsage = 2;

struct CommandOutput {
    int status = kAdminOk;
    std::string out;  // the command's report (stdout)
    std::string err;  // warnings and errors (stderr)
};

enum class BucketAction { setup, check, policies };

struct BucketCommand {
    BucketAction action = BucketAction::check;
    ConfigSources config;     // the file, the environment and the flags given
    bool create = false;      // setup: CreateBucket first
    bool require_tls = true;  // setup, check: false for plain-HTTP test endpoints
};

// Parses the words after "payload-bucket". `env` is the environment the configuration reads its
// SOCKERLESS_ECS_* variables (and AWS_REGION) from. The output instead of a command for --help
// (status 0, the help in `out`) and for bad arguments (status 2).
std::variant<BucketCommand, CommandOutput> parse_bucket_command(
    const std::vector<std::string>& args, std::map<std::string, std::string> env);

// What the command works on, decided before any request is sent.
struct BucketTarget {
    std::string bucket;
    std::string prefix;
    std::string region;
    std::string partition;  // "aws", "aws-cn", "aws-us-gov": for ARNs in policies
    aws::Endpoint endpoint;
};

// "aws-cn" for cn-*, "aws-us-gov" for us-gov-*, else "aws".
std::string_view partition_of(std::string_view region);

// Loads the configuration, requires a payload bucket and resolves the S3 endpoint as the SDKs do
// (the configuration's endpoint_url, then AWS_ENDPOINT_URL_S3, then AWS_ENDPOINT_URL, then
// AWS's own). A setup that would add the TLS-only policy on a plain-HTTP endpoint is refused: the
// policy would refuse every later request made through that endpoint, the daemon's included.
// Errors are invalid_argument, their message ready to print.
Result<BucketTarget> resolve_bucket_target(const BucketCommand& command,
                                           const aws::Environment& env);

// `policies`: one JSON object {"task_role": {...}, "daemon": {...}}, indented.
CommandOutput bucket_policies(const BucketTarget& target);

// `setup` (setup_bucket, then the check of the result) or `check` against `s3`, which must send
// to target.endpoint.
boost::asio::awaitable<CommandOutput> run_bucket_action(aws::S3Client& s3, BucketTarget target,
                                                        BucketCommand command);

// The whole command: parse, resolve, and for setup and check an S3 client of its own (the
// credential chain, proxies and AWS_CA_BUNDLE from `env`; files and the clock are the
// process's), run to completion.
CommandOutput run_payload_bucket_command(const std::vector<std::string>& args,
                                         const std::map<std::string, std::string>& env);

// JSON text indented by two spaces per level; `json_text` must be valid JSON.
std::string indent_json(std::string_view json_text);

}  // namespace sockerless::ecs
