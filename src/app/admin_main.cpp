// sockerless-admin: the operator's commands, one subcommand per area. Each area's words are
// handed to a function of its layer that returns text and an exit status (so it is unit-tested
// there); this main only dispatches and prints.

#include <iostream>
#include <map>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "backends/ecs/bucket_command.h"
#include "base/environ.h"

int main(int argc, char** argv) {
    CLI::App app{"sockerless-admin: set up and check what a Sockerless deployment needs"};
    app.set_version_flag("--version", std::string(SOCKERLESS_VERSION));
    app.require_subcommand(1);
    CLI::App* bucket =
        app.add_subcommand("payload-bucket",
                           "The ECS backend's launch-payload bucket: setup, check, policies (see "
                           "`sockerless-admin payload-bucket --help`)");
    // Everything after the area's name, --help included, is the area's to parse.
    bucket->prefix_command();
    bucket->set_help_flag();
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        // --help and --version are 0; every usage error is 2, as in the areas' own parsing.
        return app.exit(e) == 0 ? 0 : sockerless::ecs::kAdminUsage;
    }

    const sockerless::ecs::CommandOutput out = sockerless::ecs::run_payload_bucket_command(
        bucket->remaining(), sockerless::process_variables());
    std::cout << out.out << std::flush;
    std::cerr << out.err << std::flush;
    return out.status;
}
