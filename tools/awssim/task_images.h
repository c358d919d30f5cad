#pragma once
// How a task's container runs from its real image under runc: which containers do, the process
// the image and the task definition make together (Docker's entrypoint/command rules), the user
// looked up in the image, the volumes as bind mounts, and runc's command lines. Pure apart from
// reading the image's /etc/passwd and /etc/group.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "api_error.h"
#include "image_store.h"
#include "oci_bundle.h"
#include "task_model.h"

namespace sockerless::awssim {

enum class ContainerMode { host, image, automatic };

// "host", "image" or "auto".
std::optional<ContainerMode> parse_container_mode(std::string_view text);

// Whether a container of `image` runs from its image: always in image mode, never in host mode,
// and in auto mode when an OCI runtime is available and the reference names a registry host
// ("127.0.0.1:5000/busybox", "registry.example.com/app"; not "busybox" or "library/busybox").
bool runs_from_image(ContainerMode mode, std::string_view image, bool runtime_available);

// Docker's rules: the definition's entryPoint replaces the image's (and then the image's Cmd is
// dropped); the definition's command replaces the image's Cmd.
std::vector<std::string> container_args(const TaskContainer& container, const ImageConfig& image);

// "uid", "uid:gid", "name" or "name:group", names looked up in the image's /etc/passwd and
// /etc/group; "" is root. A numeric uid without a group takes its passwd entry's group, else 0.
ApiResult<std::pair<std::uint32_t, std::uint32_t>> resolve_user(std::string_view rootfs,
                                                                std::string_view user);

// The host directory of an EFS volume: (fileSystemId, accessPointId or "").
using EfsResolver =
    std::function<ApiResult<std::string>(std::string_view fs_id, std::string_view access_point)>;

// The container's mountPoints as bind mounts. Task volumes without a configuration are the
// task's scratch space (<scratch>/volumes/<name>, created here), shared by its containers; EFS
// volumes map through `efs` (read-only when the mount point says so). Host paths are not
// available on Fargate and are refused, as are unknown volumes.
ApiResult<std::vector<BundleSpec::Mount>> container_mounts(const boost::json::array& volumes,
                                                           const boost::json::object& definition,
                                                           const std::string& scratch,
                                                           const EfsResolver& efs);

// `path` with its longest matching mount destination replaced by the mount's source; unchanged
// when it lies under no mount. Host mode's stand-in for mounting.
std::string host_path_of(const std::string& path, const std::vector<BundleSpec::Mount>& mounts);

}  // namespace sockerless::awssim
