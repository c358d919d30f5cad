#include "engine/images.h"

#include <algorithm>

#include <boost/json.hpp>

#include "engine/json_util.h"
#include "store/store.h"

namespace sockerless::engine {

namespace json = boost::json;

std::string to_document(const Image& image) {
    json::object o;
    o["id"] = image.id;
    o["repo_digests"] = strings_to_json(image.repo_digests);
    o["created"] = image.created;
    o["size"] = image.size;
    o["os"] = image.os;
    o["architecture"] = image.architecture;
    o["variant"] = image.variant;
    o["layers"] = strings_to_json(image.layers);
    o["config"] = config_to_json(image.config);
    return json::serialize(o);
}

Result<Image> image_from_document(std::string_view doc) {
    boost::system::error_code ec;
    json::value v = json::parse(doc, ec);
    if (ec || !v.is_object()) return make_error(Errc::internal, "image document is not JSON");
    const json::object& o = v.as_object();
    Image image;
    image.id = string_of(o, "id");
    image.repo_digests = strings_of(o, "repo_digests");
    image.created = string_of(o, "created");
    image.size = int_of(o, "size");
    image.os = string_of(o, "os");
    image.architecture = string_of(o, "architecture");
    image.variant = string_of(o, "variant");
    image.layers = strings_of(o, "layers");
    if (const auto* c = o.if_contains("config"); c != nullptr && c->is_object())
        image.config = config_from_json(c->as_object());
    return image;
}

Status ImageStore::load() {
    auto rows = store_.images();
    if (!rows) return rows.error();
    for (const store::Row& row : *rows) {
        auto image = image_from_document(row.doc);
        if (!image) return image.error().wrap("image " + row.name);
        ref_to_id_[row.name] = image->id;
        by_id_[image->id] = std::move(*image);
    }
    for (auto& [ref, id] : ref_to_id_) {
        auto& tags = by_id_[id].repo_tags;
        if (ref.find('@') == std::string::npos) tags.push_back(ref);
    }
    return ok();
}

Result<bool> ImageStore::put(std::string_view ref, Image image) {
    auto normalized = normalize_(ref);
    if (!normalized) return normalized.error();
    auto previous = ref_to_id_.find(*normalized);
    const bool same = previous != ref_to_id_.end() && previous->second == image.id;
    if (Status st = store_.put_image(image.id, *normalized, to_document(image)); !st)
        return st.error();
    if (previous != ref_to_id_.end() && !same) {
        const std::string old_id = previous->second;
        previous->second = image.id;
        // An image the reference moved away from goes once nothing names it, as in remove_ref:
        // the store keeps images by reference, so it could neither be found after a restart nor
        // be removed now.
        auto old = by_id_.find(old_id);
        if (old != by_id_.end()) std::erase(old->second.repo_tags, *normalized);
        const bool referenced = std::any_of(ref_to_id_.begin(), ref_to_id_.end(),
                                            [&](const auto& kv) { return kv.second == old_id; });
        if (!referenced) by_id_.erase(old_id);
    }
    ref_to_id_[*normalized] = image.id;
    Image& stored = by_id_[image.id];
    std::vector<std::string> tags = std::move(stored.repo_tags);
    stored = std::move(image);
    stored.repo_tags = std::move(tags);
    if (normalized->find('@') == std::string::npos &&
        std::find(stored.repo_tags.begin(), stored.repo_tags.end(), *normalized) ==
            stored.repo_tags.end())
        stored.repo_tags.push_back(*normalized);
    return same;
}

const Image* ImageStore::find(std::string_view ref_or_id) const {
    if (auto normalized = normalize_(ref_or_id)) {
        auto it = ref_to_id_.find(*normalized);
        if (it != ref_to_id_.end()) {
            auto image = by_id_.find(it->second);
            if (image != by_id_.end()) return &image->second;
        }
    }
    std::string id(ref_or_id);
    if (!id.starts_with("sha256:")) id = "sha256:" + id;
    if (id.size() < 7 + 3) return nullptr;
    const Image* found = nullptr;
    for (const auto& [key, image] : by_id_) {
        if (key.starts_with(id)) {
            if (found != nullptr) return nullptr;  // ambiguous
            found = &image;
        }
    }
    return found;
}

std::vector<const Image*> ImageStore::all() const {
    std::vector<const Image*> out;
    for (const auto& [id, image] : by_id_)
        out.push_back(&image);
    return out;
}

Status ImageStore::remove_ref(std::string_view ref) {
    auto normalized = normalize_(ref);
    if (!normalized) return normalized.error();
    auto it = ref_to_id_.find(*normalized);
    if (it == ref_to_id_.end())
        return make_error(Errc::not_found, "No such image: " + std::string(ref));
    if (Status st = store_.delete_image_ref(*normalized); !st) return st;
    const std::string id = it->second;
    ref_to_id_.erase(it);
    auto image = by_id_.find(id);
    if (image != by_id_.end()) {
        std::erase(image->second.repo_tags, *normalized);
        const bool referenced = std::any_of(ref_to_id_.begin(), ref_to_id_.end(),
                                            [&](const auto& kv) { return kv.second == id; });
        if (!referenced) by_id_.erase(image);
    }
    return ok();
}

}  // namespace sockerless::engine
