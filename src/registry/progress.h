#pragma once
// The JSON-lines stream `POST /images/create` answers with and `docker pull` renders, written as
// dockerd's stream formatter writes it: one JSON object per line, fields in jsonmessage's order
// (status, progressDetail, progress, id, errorDetail, error), Go's escaping (<, > and & as
// \u003c...), each line ended by "\r\n".
//
// A pull of an image the daemon did not have:
//   {"status":"Pulling from library/busybox","id":"latest"}
//   {"status":"Pulling fs layer","progressDetail":{},"id":"<12 hex>"}      per layer
//   {"status":"Already exists","progressDetail":{},"id":"<12 hex>"}        layers already known
//   {"status":"Download complete","progressDetail":{},"id":"<12 hex>"}     per new layer
//   {"status":"Pull complete","progressDetail":{},"id":"<12 hex>"}         per new layer
//   {"status":"Digest: sha256:..."}
//   {"status":"Status: Downloaded newer image for busybox:latest"}
// and of one it already had (same image for the same reference): the first line, the digest and
// {"status":"Status: Image is up to date for busybox:latest"}.

#include <set>
#include <string>
#include <string_view>

#include "registry/manifest.h"
#include "registry/reference.h"

namespace sockerless::registry {

// {"status":"<status>","id":"<id>"}; the id is left out when empty.
std::string status_line(std::string_view status, std::string_view id = {});

// {"status":"<status>","progressDetail":{},"id":"<id>"}: a per-layer state change.
std::string layer_line(std::string_view status, std::string_view id);

// {"errorDetail":{"message":"<m>"},"error":"<m>"}: how a pull that fails mid-stream ends.
std::string error_line(std::string_view message);

struct PullReport {
    bool up_to_date = false;             // the reference already named this image
    std::set<std::string> known_layers;  // layer digests the daemon already has
};

// {"status":"Pulling from <repository path>","id":"<tag or digest>"}: sent before resolving.
std::string pull_header(const Reference& ref);

// Everything after the header, once the image is resolved.
std::string pull_body(const Reference& ref, const Image& image, const PullReport& report);

// Go's JSON string encoding (with HTML escaping), quotes included.
std::string go_json_string(std::string_view s);

}  // namespace sockerless::registry
