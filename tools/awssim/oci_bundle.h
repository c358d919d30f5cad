#pragma once
// OCI runtime bundles for containers the task runner starts under runc: a config.json describing
// the process, its root filesystem and its mounts, in the shape `runc spec` produces, with the
// differences a simulated Fargate task needs:
//   - namespaces pid, mount, ipc and uts, but not network: the task's ENI is a host loopback
//     address, so the container shares the host's network stack;
//   - /proc, /dev (tmpfs with the devices runc creates), /dev/pts, /dev/shm, /dev/mqueue and a
//     read-only /sys, Docker's default capabilities, masked and read-only /proc paths;
//   - volumes as recursive bind mounts, read-only when asked (EFS read-only access points);
//   - no cgroup resource limits, and RLIMIT_NOFILE no higher than this process's hard limit
//     (even root cannot raise it in some environments, and runc fails if asked to).

#include <cstdint>
#include <string>
#include <vector>

#include "api_error.h"

namespace sockerless::awssim {

struct BundleSpec {
    std::string rootfs_dir;
    std::vector<std::string> args, env;  // env as "K=V"; PATH is added when absent
    std::string cwd;                     // "" is "/"
    std::uint32_t uid = 0, gid = 0;
    std::string hostname;
    struct Mount {
        std::string source, destination;
        bool read_only = false;
    };
    std::vector<Mount> mounts;
    bool terminal = false;
};

struct Rlimit {
    std::string type;  // "RLIMIT_NOFILE"
    std::uint64_t soft = 0, hard = 0;
};

// The rlimits a container gets: RLIMIT_NOFILE at this process's current hard limit (capped at
// 1048576, Docker's default).
std::vector<Rlimit> container_rlimits();

// config.json for `spec` (pure: rlimits are given).
std::string bundle_config(const BundleSpec& spec, const std::vector<Rlimit>& rlimits);

// Writes <bundle_dir>/config.json (creating bundle_dir) with container_rlimits(). InvalidParameter
// for a spec runc would refuse: no args, a relative rootfs, cwd or mount destination.
ApiResult<void> write_bundle(const std::string& bundle_dir, const BundleSpec& spec);

// True when running as root with `runc` on PATH.
bool oci_runtime_available();

// A private, writable view of a shared image rootfs for one container: an overlay mount at
// <bundle_dir>/rootfs over `image_rootfs`, its upper and work directories in the bundle. Returns
// the mount point (for BundleSpec::rootfs_dir). Needs root.
ApiResult<std::string> mount_rootfs_overlay(const std::string& bundle_dir,
                                            const std::string& image_rootfs);
// Undoes mount_rootfs_overlay (lazily, should a process still hold it); a bundle without the
// mount is fine.
ApiResult<void> unmount_rootfs_overlay(const std::string& bundle_dir);

}  // namespace sockerless::awssim
