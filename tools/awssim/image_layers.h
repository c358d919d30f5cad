#pragma once
// Applying image layers to a root filesystem, as the OCI image spec's "applying changesets"
// describes: entries are extracted in order (libarchive reads the tar and any compression), a
// ".wh.NAME" entry deletes NAME from the layers below, and ".wh..wh..opq" in a directory hides
// everything the lower layers put there while keeping what this layer adds, wherever the marker
// sits in the tar.
//
// Nothing is written or deleted outside rootfs_dir: entry paths and hard-link targets with ".."
// components are refused, extraction never follows a symbolic link on disk (so a layer cannot
// write through a link a lower layer planted), and whiteouts are applied only when no directory
// on the way is a link. Owners are applied when running as root; device nodes are skipped when
// not root (they cannot be created).

#include <string>

#include "api_error.h"

namespace sockerless::awssim {

// Applies the layer tarball at `layer_path` onto `rootfs_dir`, which must exist.
ApiResult<void> apply_layer(const std::string& rootfs_dir, const std::string& layer_path);

}  // namespace sockerless::awssim
