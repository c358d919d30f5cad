// awssim-oci-tool: drives ImageStore and the OCI bundle writer from the command line, for the
// integration test (tests/integration/awssim_oci_test.py) and for trying images by hand.
//
//   awssim-oci-tool pull --cache DIR REFERENCE
//       prints {"rootfs_dir":..., "digest":..., "config":{...}} as one JSON line
//   awssim-oci-tool bundle --bundle DIR --rootfs ROOTFS [--overlay] [--uid N] [--gid N]
//       [--cwd DIR] [--hostname H] [--env K=V]... [--mount SRC:DST[:ro]]... [--terminal] -- ARGS...
//       writes DIR/config.json; --overlay first mounts a private overlay over ROOTFS at DIR/rootfs
//   awssim-oci-tool unmount --bundle DIR
//       undoes --overlay

#include <iostream>

#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include "image_store.h"
#include "oci_bundle.h"

namespace {
using namespace sockerless::awssim;
namespace json = boost::json;

int fail(const ApiError& e) {
    std::cerr << "awssim-oci-tool: " << e.code << ": " << e.message << "\n";
    return 1;
}

json::array to_json(const std::vector<std::string>& items) {
    json::array out;
    for (const auto& s : items)
        out.emplace_back(s);
    return out;
}

int pull(const std::string& cache, const std::string& reference) {
    ImageStore store(cache);
    auto image = store.pull(reference);
    if (!image) return fail(image.error());
    const ImageConfig& c = image->config;
    json::object config{{"Env", to_json(c.env)},
                        {"Entrypoint", to_json(c.entrypoint)},
                        {"Cmd", to_json(c.cmd)},
                        {"WorkingDir", c.working_dir},
                        {"User", c.user}};
    std::cout << json::serialize(json::object{{"rootfs_dir", image->rootfs_dir},
                                              {"digest", image->digest},
                                              {"config", std::move(config)}})
              << std::endl;
    return 0;
}

// "SRC:DST" or "SRC:DST:ro".
bool parse_mount(const std::string& text, BundleSpec::Mount& out) {
    std::size_t first = text.find(':');
    if (first == std::string::npos) return false;
    std::size_t second = text.find(':', first + 1);
    out.source = text.substr(0, first);
    out.destination = text.substr(
        first + 1, second == std::string::npos ? std::string::npos : second - first - 1);
    if (second != std::string::npos) {
        if (text.substr(second + 1) != "ro") return false;
        out.read_only = true;
    }
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"awssim-oci-tool: pull images and write OCI bundles as the simulator does"};
    app.require_subcommand(1);

    std::string cache, reference;
    auto* pull_cmd = app.add_subcommand("pull", "Pull an image into the cache");
    pull_cmd->add_option("--cache", cache, "Image cache directory")->required();
    pull_cmd->add_option("reference", reference, "Image reference")->required();

    std::string bundle_dir, rootfs;
    bool overlay = false;
    std::vector<std::string> mounts;
    BundleSpec spec;
    auto* bundle_cmd = app.add_subcommand("bundle", "Write an OCI bundle");
    bundle_cmd->add_option("--bundle", bundle_dir, "Bundle directory")->required();
    bundle_cmd->add_option("--rootfs", rootfs, "Image root filesystem")->required();
    bundle_cmd->add_flag("--overlay", overlay, "Mount a private overlay over the rootfs");
    bundle_cmd->add_option("--uid", spec.uid, "User id");
    bundle_cmd->add_option("--gid", spec.gid, "Group id");
    bundle_cmd->add_option("--cwd", spec.cwd, "Working directory");
    bundle_cmd->add_option("--hostname", spec.hostname, "Host name");
    bundle_cmd->add_option("--env", spec.env, "K=V (repeatable)")->allow_extra_args(false);
    bundle_cmd->add_option("--mount", mounts, "SRC:DST[:ro] (repeatable)")->allow_extra_args(false);
    bundle_cmd->add_flag("--terminal", spec.terminal, "Allocate a terminal");
    bundle_cmd->add_option("args", spec.args, "Command")->required();

    auto* unmount_cmd = app.add_subcommand("unmount", "Undo bundle --overlay");
    unmount_cmd->add_option("--bundle", bundle_dir, "Bundle directory")->required();

    CLI11_PARSE(app, argc, argv);

    if (pull_cmd->parsed()) return pull(cache, reference);
    if (unmount_cmd->parsed()) {
        auto done = unmount_rootfs_overlay(bundle_dir);
        return done ? 0 : fail(done.error());
    }
    for (const auto& m : mounts) {
        BundleSpec::Mount parsed;
        if (!parse_mount(m, parsed)) {
            std::cerr << "awssim-oci-tool: --mount wants SRC:DST[:ro], got \"" << m << "\"\n";
            return 2;
        }
        spec.mounts.push_back(parsed);
    }
    spec.rootfs_dir = rootfs;
    if (overlay) {
        auto merged = mount_rootfs_overlay(bundle_dir, rootfs);
        if (!merged) return fail(merged.error());
        spec.rootfs_dir = *merged;
    }
    if (auto written = write_bundle(bundle_dir, spec); !written) return fail(written.error());
    std::cout << spec.rootfs_dir << std::endl;
    return 0;
}
