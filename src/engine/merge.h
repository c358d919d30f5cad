#pragma once
// How `create` merges an image's config into the container's (moby daemon/commit.go merge()):
// what the client left empty comes from the image. Pure.

#include "engine/container.h"
#include "engine/images.h"

namespace sockerless::engine {

ContainerConfig merge_image_config(ContainerConfig user, const Image& image);

}  // namespace sockerless::engine
