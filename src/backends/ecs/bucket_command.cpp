#include "backends/ecs/bucket_command.h"

#include <exception>
#include <memory>
#include <optional>
#include <sstream>
#include <utility>

#include <CLI/CLI.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "aws/client.h"
#include "aws/s3_client.h"
#include "backends/ecs/payload_store.h"

namespace sockerless::ecs {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;

constexpr std::string_view kCommandName = "sockerless-admin payload-bucket";

// The options every action takes: the configuration file and one option per configuration key,
// collected as ConfigSources::flags so load_ecs_config reports them as "--key".
void add_config_options(CLI::App& sub, std::string& yaml_path,
                        std::map<std::string, std::string>& flags) {
    sub.add_option("--config", yaml_path, "The ECS backend's YAML configuration file")
        ->type_name("FILE");
    for (std::string_view key : ecs_config_keys()) {
        std::string name(key);
        sub.add_option_function<std::string>(
               flag_name(key), [&flags, name](const std::string& value) { flags[name] = value; },
               "Configuration key " + name + " (also " + env_name(key) + ")")
            ->type_name("VALUE");
    }
}

constexpr const char* kNoTlsHelp =
    "Leave out the TLS-only bucket policy (plain-HTTP test endpoints such as sockerless-awssim)";

std::string payload_bucket_line(std::string_view bucket, std::string_view what) {
    return "payload bucket " + std::string(bucket) + ": " + std::string(what) + "\n";
}

// The message without the context payload_store adds, which the line's own start repeats.
std::string without_context(const std::string& message, const std::string& bucket) {
    const std::string contexts[] = {
        "ecs: setting up payload bucket " + bucket + ": ",
        "ecs: checking payload bucket " + bucket + ": ",
    };
    for (const std::string& c : contexts) {
        if (message.starts_with(c)) return message.substr(c.size());
    }
    return message;
}

std::string what_to_do(const BucketTarget& target, const BucketCommand& command,
                       const Error& error) {
    if (error.message.find("NoSuchBucket") != std::string::npos) {
        return command.action == BucketAction::setup
                   ? "add --create to create it"
                   : "create it with `sockerless-admin payload-bucket setup --create`";
    }
    switch (error.code) {
        case Errc::unauthorized:
            return "check the AWS credentials in use (AWS_ACCESS_KEY_ID and "
                   "AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or a role)";
        case Errc::forbidden: {
            std::string hint =
                "the credentials in use need the bucket actions of the daemon policy "
                "(`sockerless-admin payload-bucket policies`)";
            if (target.endpoint.scheme == "http")
                hint += "; over plain HTTP a TLS-only bucket policy also denies every request";
            return hint;
        }
        case Errc::unavailable:
        case Errc::timeout:
            return "check that the S3 endpoint " + target.endpoint.url() +
                   " is reachable (endpoint_url, AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, proxies)";
        default:
            return {};
    }
}

std::string failure_line(const BucketTarget& target, const BucketCommand& command,
                         std::string_view step, const Error& error) {
    std::string line =
        std::string(step) + " failed: " + without_context(error.message, target.bucket);
    if (std::string hint = what_to_do(target, command, error); !hint.empty()) line += "; " + hint;
    return payload_bucket_line(target.bucket, line);
}

// The report of a check: one line per problem on `out`, the count and the remedy on `err`.
void report(CommandOutput& out, const BucketTarget& target, const BucketCommand& command,
            const std::vector<std::string>& problems) {
    if (problems.empty()) {
        out.out += payload_bucket_line(target.bucket, "set up correctly");
        return;
    }
    out.status = kAdminProblems;
    for (const std::string& p : problems)
        out.out += payload_bucket_line(target.bucket, p);
    const std::string count =
        std::to_string(problems.size()) + (problems.size() == 1 ? " problem" : " problems");
    out.err += payload_bucket_line(
        target.bucket, command.action == BucketAction::setup
                           ? count + " left after setup"
                           : count + "; `sockerless-admin payload-bucket setup` fixes them");
}

// The caller's environment variables, with the process's files and clock.
aws::Environment environment_of(std::map<std::string, std::string> vars) {
    aws::Environment env = aws::process_environment();
    auto shared = std::make_shared<const std::map<std::string, std::string>>(std::move(vars));
    env.getenv = [shared](std::string_view name) -> std::optional<std::string> {
        auto it = shared->find(std::string(name));
        if (it == shared->end()) return std::nullopt;
        return it->second;
    };
    return env;
}

CommandOutput run_with_client(BucketTarget target, BucketCommand command,
                              const aws::Environment& env) {
    Result<aws::ProxySettings> proxies = aws::proxy_settings(env);
    if (!proxies) return CommandOutput{kAdminUsage, "", proxies.error().message + "\n"};
    aws::TransportOptions options;
    options.proxies = std::move(*proxies);
    if (auto ca = env.get("AWS_CA_BUNDLE")) options.ca_file = std::move(*ca);

    asio::io_context io(1);
    aws::Transport transport(io.get_executor(), options);
    aws::BlockingFetcher fetcher;
    aws::CachingProvider credentials(std::make_unique<aws::ChainProvider>(env, fetcher), env.now);
    aws::AwsClient client(transport, credentials, aws::s3_service_id(), target.region,
                          target.endpoint);
    aws::S3Client s3(client);

    const std::string bucket = target.bucket;
    std::optional<CommandOutput> out;
    // Stopping at completion: pooled connections would keep the loop busy until they idle out.
    asio::co_spawn(io, run_bucket_action(s3, std::move(target), std::move(command)),
                   [&out, &io](const std::exception_ptr& e, CommandOutput value) {
                       if (!e) out = std::move(value);
                       io.stop();
                   });
    io.run();
    if (!out) {
        return CommandOutput{kAdminProblems, "",
                             payload_bucket_line(bucket, "the command stopped unexpectedly")};
    }
    return std::move(*out);
}

void indent_into(std::string& out, const json::value& v, std::size_t depth) {
    const auto newline = [&out](std::size_t level) {
        out += '\n';
        out.append(2 * level, ' ');
    };
    if (const json::object* o = v.if_object(); o != nullptr && !o->empty()) {
        out += '{';
        bool first = true;
        for (const auto& item : *o) {
            if (!first) out += ',';
            first = false;
            newline(depth + 1);
            out += json::serialize(json::string(item.key()));
            out += ": ";
            indent_into(out, item.value(), depth + 1);
        }
        newline(depth);
        out += '}';
    } else if (const json::array* a = v.if_array(); a != nullptr && !a->empty()) {
        out += '[';
        bool first = true;
        for (const json::value& item : *a) {
            if (!first) out += ',';
            first = false;
            newline(depth + 1);
            indent_into(out, item, depth + 1);
        }
        newline(depth);
        out += ']';
    } else {
        out += json::serialize(v);
    }
}

}  // namespace

std::variant<BucketCommand, CommandOutput> parse_bucket_command(
    const std::vector<std::string>& args, std::map<std::string, std::string> env) {
    CLI::App app{"Create, check or print the IAM policies of the launch-payload bucket",
                 std::string(kCommandName)};
    app.require_subcommand(1);
    BucketCommand command;
    std::string yaml_path;
    std::map<std::string, std::string> flags;
    bool no_tls = false;

    CLI::App* setup = app.add_subcommand(
        "setup",
        "Bring the bucket to the setup the daemon needs (public access blocked, TLS-only "
        "policy, default encryption, 1-day lifecycle rule), then check it");
    setup->add_flag("--create", command.create, "Create the bucket first");
    setup->add_flag("--no-require-tls", no_tls, kNoTlsHelp);
    CLI::App* check = app.add_subcommand(
        "check", "Print one line per missing protection; exit 1 if there is any");
    check->add_flag("--no-require-tls", no_tls, kNoTlsHelp);
    CLI::App* policies = app.add_subcommand(
        "policies", "Print the task role's and the daemon's IAM policies as one JSON object");
    for (CLI::App* sub : {setup, check, policies})
        add_config_options(*sub, yaml_path, flags);

    std::vector<std::string> reversed(args.rbegin(), args.rend());
    try {
        app.parse(reversed);
    } catch (const CLI::ParseError& e) {
        std::ostringstream out;
        std::ostringstream err;
        const int code = app.exit(e, out, err);
        return CommandOutput{code == 0 ? kAdminOk : kAdminUsage, out.str(), err.str()};
    }
    if (*setup) command.action = BucketAction::setup;
    if (*check) command.action = BucketAction::check;
    if (*policies) command.action = BucketAction::policies;
    command.require_tls = !no_tls;
    command.config = ConfigSources{std::move(yaml_path), std::move(env), std::move(flags)};
    return command;
}

std::string_view partition_of(std::string_view region) {
    if (region.starts_with("cn-")) return "aws-cn";
    if (region.starts_with("us-gov-")) return "aws-us-gov";
    return "aws";
}

Result<BucketTarget> resolve_bucket_target(const BucketCommand& command,
                                           const aws::Environment& env) {
    Result<EcsConfig> config = load_ecs_config(command.config);
    if (!config) return config.error();
    if (config->payload_bucket.empty()) {
        return make_error(Errc::invalid_argument,
                          "no payload bucket is configured: set payload_bucket in the config "
                          "file, " +
                              env_name("payload_bucket") + " or " + flag_name("payload_bucket"));
    }
    BucketTarget target;
    target.bucket = config->payload_bucket;
    target.prefix = config->payload_prefix;
    target.region = config->region;
    target.partition = partition_of(target.region);
    std::optional<std::string> override_url;
    if (!config->endpoint_url.empty()) override_url = config->endpoint_url;
    Result<aws::Endpoint> endpoint =
        aws::resolve_endpoint(env, aws::s3_service_id(), target.region, override_url);
    if (!endpoint) {
        return make_error(Errc::invalid_argument,
                          "payload bucket " + target.bucket + ": " + endpoint.error().message);
    }
    target.endpoint = std::move(*endpoint);
    if (command.action == BucketAction::setup && command.require_tls &&
        target.endpoint.scheme == "http") {
        return make_error(
            Errc::invalid_argument,
            "payload bucket " + target.bucket + ": the S3 endpoint " + target.endpoint.url() +
                " is plain HTTP, and the TLS-only bucket policy would refuse every request made "
                "through it, the daemon's included; use an https endpoint, or add "
                "--no-require-tls for a test endpoint such as sockerless-awssim");
    }
    return target;
}

CommandOutput bucket_policies(const BucketTarget& target) {
    const IamPolicies policies = iam_policies(target.bucket, target.prefix, target.partition);
    json::object both;
    both["task_role"] = json::parse(policies.task_role);
    both["daemon"] = json::parse(policies.daemon);
    CommandOutput out;
    out.out = indent_json(json::serialize(both)) + "\n";
    return out;
}

asio::awaitable<CommandOutput> run_bucket_action(aws::S3Client& s3, BucketTarget target,
                                                 BucketCommand command) {
    CommandOutput out;
    BucketSetup setup;
    setup.create = command.create;
    setup.require_tls = command.require_tls;
    setup.partition = target.partition;
    if (!command.require_tls) {
        out.err += "warning: " +
                   payload_bucket_line(target.bucket,
                                       "--no-require-tls: requests without TLS are not refused; "
                                       "use it only for plain-HTTP test endpoints");
    } else if (target.endpoint.scheme == "http") {
        out.err += "note: " + payload_bucket_line(target.bucket,
                                                  "the S3 endpoint " + target.endpoint.url() +
                                                      " is plain HTTP; a bucket that requires TLS "
                                                      "refuses every request made through it");
    }
    if (command.action == BucketAction::setup) {
        Status done = co_await setup_bucket(s3, target.bucket, target.prefix, setup);
        if (!done) {
            out.status = kAdminProblems;
            out.err += failure_line(target, command, "setup", done.error());
            co_return out;
        }
    }
    Result<std::vector<std::string>> problems =
        co_await check_bucket(s3, target.bucket, target.prefix, setup);
    if (!problems) {
        out.status = kAdminProblems;
        out.err += failure_line(target, command, "check", problems.error());
        co_return out;
    }
    report(out, target, command, *problems);
    co_return out;
}

CommandOutput run_payload_bucket_command(const std::vector<std::string>& args,
                                         const std::map<std::string, std::string>& env) {
    auto parsed = parse_bucket_command(args, env);
    if (auto* done = std::get_if<CommandOutput>(&parsed)) return std::move(*done);
    BucketCommand command = std::get<BucketCommand>(std::move(parsed));
    const aws::Environment environment = environment_of(env);
    Result<BucketTarget> target = resolve_bucket_target(command, environment);
    if (!target) return CommandOutput{kAdminUsage, "", target.error().message + "\n"};
    if (command.action == BucketAction::policies) return bucket_policies(*target);
    return run_with_client(std::move(*target), std::move(command), environment);
}

std::string indent_json(std::string_view json_text) {
    std::string out;
    indent_into(out, json::parse(json_text), 0);
    return out;
}

}  // namespace sockerless::ecs
