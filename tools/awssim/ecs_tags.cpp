// ECS resource tagging: TagResource, UntagResource, ListTagsForResource and the tag limits that
// also apply to tags given at creation (CreateCluster, RegisterTaskDefinition).

#include <algorithm>

#include <boost/json.hpp>

#include "ecs_service.h"
#include "json_protocol.h"

namespace sockerless::awssim {
namespace json = boost::json;
namespace {

constexpr std::size_t kMaxTags = 50;
constexpr std::size_t kMaxKeyChars = 128;
constexpr std::size_t kMaxValueChars = 256;

std::size_t utf8_chars(std::string_view s) {
    return static_cast<std::size_t>(
        std::ranges::count_if(s, [](unsigned char c) { return (c & 0xC0) != 0x80; }));
}

bool reserved(std::string_view s) {
    if (s.size() < 4) return false;
    std::string prefix;
    for (char c : s.substr(0, 4))
        prefix.push_back(static_cast<char>(std::tolower(c)));
    return prefix == "aws:";
}

// Tags with the reserved prefix are AWS's own and do not count against the limit.
std::size_t counted(const Tags& tags) {
    return static_cast<std::size_t>(
        std::ranges::count_if(tags, [](const auto& t) { return !reserved(t.first); }));
}

}  // namespace

ApiResult<Tags> EcsService::parse_tags(const Json& in, std::string_view key) const {
    auto list = opt_objects(in, key);
    if (!list) return list.error();
    Tags tags;
    if (!*list) return tags;
    if ((*list)->size() > kMaxTags)
        return invalid_parameter("The number of tags exceeds the limit of 50 per resource.");
    for (const auto& item : **list) {
        const auto& tag = item.as_object();
        auto k = opt_string(tag, "key");
        if (!k) return k.error();
        auto v = opt_string(tag, "value");
        if (!v) return v.error();
        if (!*k || (*k)->empty()) return invalid_parameter("Tag key cannot be null or empty.");
        if (utf8_chars(**k) > kMaxKeyChars)
            return invalid_parameter("Tag key '" + **k + "' exceeds the maximum length of 128.");
        std::string value = v->value_or("");
        if (utf8_chars(value) > kMaxValueChars)
            return invalid_parameter("Tag value for key '" + **k +
                                     "' exceeds the maximum length of 256.");
        if (reserved(**k) || reserved(value))
            return invalid_parameter(
                "Tag keys and values that begin with 'aws:' are reserved for AWS use.");
        auto same = std::ranges::find_if(tags, [&](const auto& t) { return t.first == **k; });
        if (same != tags.end())
            same->second = value;
        else
            tags.emplace_back(**k, value);
    }
    return tags;
}

ApiResult<void> EcsService::apply_tags(const std::string& arn, const Tags& added) {
    Tags merged = state_.tags(arn);
    for (const auto& tag : added) {
        const auto& [k, v] = tag;
        // Captures the pair, not the bindings: C++20 lambdas cannot capture structured bindings
        // portably.
        auto same =
            std::ranges::find_if(merged, [&tag](const auto& t) { return t.first == tag.first; });
        if (same != merged.end())
            same->second = v;
        else
            merged.emplace_back(k, v);
    }
    if (counted(merged) > kMaxTags)
        return invalid_parameter("The number of tags exceeds the limit of 50 per resource.");
    state_.set_tags(arn, std::move(merged));
    return {};
}

json::array EcsService::tags_json(std::string_view arn) const {
    json::array out;
    for (const auto& [k, v] : state_.tags(arn))
        out.push_back(json::object{{"key", k}, {"value", v}});
    return out;
}

namespace {

// The resourceArn member, which must name an existing cluster, task definition revision or task.
ApiResult<std::string> resource_arn(const json::object& in, EcsState& state) {
    auto arn = opt_string(in, "resourceArn");
    if (!arn) return arn.error();
    if (!*arn || (*arn)->empty()) return invalid_parameter("resourceArn cannot be null or empty.");
    const std::string& s = **arn;
    bool cluster = s.find(":cluster/") != std::string::npos;
    bool task_def = s.find(":task-definition/") != std::string::npos;
    bool task = s.find(":task/") != std::string::npos;
    if (!s.starts_with("arn:aws:ecs:") || (!cluster && !task_def && !task))
        return invalid_parameter("Invalid identifier: the ARN is not an ECS resource ARN.");
    if (!state.resource_exists(s)) {
        if (cluster) return ApiError{400, "ClusterNotFoundException", "Cluster not found."};
        return ApiError{400, "ResourceNotFoundException", "The specified resource is not found."};
    }
    return s;
}

}  // namespace

ApiResult<json::object> EcsService::tag_resource(const Json& in) {
    auto arn = resource_arn(in, state_);
    if (!arn) return arn.error();
    auto tags = parse_tags(in, "tags");
    if (!tags) return tags.error();
    if (auto st = apply_tags(*arn, *tags); !st) return st.error();
    return json::object{};
}

ApiResult<json::object> EcsService::untag_resource(const Json& in) {
    auto arn = resource_arn(in, state_);
    if (!arn) return arn.error();
    auto keys = opt_strings(in, "tagKeys");
    if (!keys) return keys.error();
    Tags tags = state_.tags(*arn);
    for (const auto& key : keys->value_or(std::vector<std::string>{})) {
        if (reserved(key))
            return invalid_parameter(
                "Tag keys and values that begin with 'aws:' are reserved for AWS use.");
        std::erase_if(tags, [&](const auto& t) { return t.first == key; });
    }
    state_.set_tags(*arn, std::move(tags));
    return json::object{};
}

ApiResult<json::object> EcsService::list_tags_for_resource(const Json& in) {
    auto arn = resource_arn(in, state_);
    if (!arn) return arn.error();
    return json::object{{"tags", tags_json(*arn)}};
}

}  // namespace sockerless::awssim
