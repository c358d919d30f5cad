#include "ecs_state.h"

#include <algorithm>
#include <charconv>

namespace sockerless::awssim {
namespace {

std::optional<long> parse_revision(std::string_view s) {
    long value = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (ec != std::errc() || end != s.data() + s.size() || value < 1) return std::nullopt;
    return value;
}

}  // namespace

std::string cluster_name_from(std::string_view identifier) {
    if (identifier.starts_with("arn:")) {
        std::size_t slash = identifier.rfind(":cluster/");
        if (slash != std::string_view::npos)
            return std::string(identifier.substr(slash + std::string_view(":cluster/").size()));
    }
    return std::string(identifier);
}

std::optional<TaskDefinitionRef> parse_task_definition_ref(std::string_view identifier) {
    if (identifier.starts_with("arn:")) {
        constexpr std::string_view kMarker = ":task-definition/";
        std::size_t at = identifier.find(kMarker);
        if (at == std::string_view::npos) return std::nullopt;
        identifier.remove_prefix(at + kMarker.size());
        if (identifier.find(':') == std::string_view::npos) return std::nullopt;
    }
    std::size_t colon = identifier.find(':');
    TaskDefinitionRef ref{std::string(identifier.substr(0, colon)), std::nullopt};
    if (ref.family.empty()) return std::nullopt;
    if (colon != std::string_view::npos) {
        ref.revision = parse_revision(identifier.substr(colon + 1));
        if (!ref.revision) return std::nullopt;
    }
    return ref;
}

std::string EcsState::cluster_arn(std::string_view name) const {
    return "arn:aws:ecs:" + region_ + ":" + std::string(kAccountId) + ":cluster/" +
           std::string(name);
}

std::string EcsState::task_definition_arn(std::string_view family, long revision) const {
    return "arn:aws:ecs:" + region_ + ":" + std::string(kAccountId) + ":task-definition/" +
           std::string(family) + ":" + std::to_string(revision);
}

Cluster* EcsState::find_cluster(std::string_view name) {
    auto it = clusters_.find(name);
    return it == clusters_.end() ? nullptr : &it->second;
}

Cluster& EcsState::put_cluster(Cluster cluster) {
    std::string name = cluster.name;
    return clusters_.insert_or_assign(std::move(name), std::move(cluster)).first->second;
}

TaskDefinition& EcsState::add_task_definition(const std::string& family, boost::json::object body) {
    auto& revisions = families_[family];
    TaskDefinition td;
    td.family = family;
    td.revision = static_cast<long>(revisions.size()) + 1;
    td.arn = task_definition_arn(family, td.revision);
    body["taskDefinitionArn"] = td.arn;
    body["family"] = family;
    body["revision"] = td.revision;
    body["status"] = "ACTIVE";
    td.body = std::move(body);
    revisions.push_back(std::move(td));
    return revisions.back();
}

TaskDefinition* EcsState::find_task_definition(std::string_view family, long revision) {
    auto it = families_.find(family);
    if (it == families_.end() || revision < 1 || revision > static_cast<long>(it->second.size()))
        return nullptr;
    return &it->second[static_cast<std::size_t>(revision - 1)];
}

TaskDefinition* EcsState::latest_active(std::string_view family) {
    auto it = families_.find(family);
    if (it == families_.end()) return nullptr;
    // Newest first. NOLINTNEXTLINE(modernize-loop-convert): a reverse walk has no range-for form
    for (auto rev = it->second.rbegin(); rev != it->second.rend(); ++rev) {
        if (rev->active) return &*rev;
    }
    return nullptr;
}

std::vector<const TaskDefinition*> EcsState::task_definitions() const {
    std::vector<const TaskDefinition*> out;
    for (const auto& [family, revisions] : families_) {
        for (const auto& td : revisions)
            out.push_back(&td);
    }
    return out;
}

bool EcsState::resource_exists(std::string_view arn) {
    if (arn.find(":cluster/") != std::string_view::npos) {
        Cluster* c = find_cluster(cluster_name_from(arn));
        return c && c->active && c->arn == arn;
    }
    if (arn.find(":task/") != std::string_view::npos) {
        Task* task = find_task(arn.substr(arn.rfind('/') + 1));
        return task && task->arn == arn;
    }
    auto ref = parse_task_definition_ref(arn);
    if (!arn.starts_with("arn:") || !ref || !ref->revision) return false;
    TaskDefinition* td = find_task_definition(ref->family, *ref->revision);
    return td && td->arn == arn;
}

const Tags& EcsState::tags(std::string_view arn) const {
    static const Tags none;
    auto it = tags_.find(arn);
    return it == tags_.end() ? none : it->second;
}

void EcsState::set_tags(const std::string& arn, Tags tags) {
    tags_[arn] = std::move(tags);
}

std::string EcsState::task_arn(std::string_view cluster_name, std::string_view task_id) const {
    return "arn:aws:ecs:" + region_ + ":" + std::string(kAccountId) + ":task/" +
           std::string(cluster_name) + "/" + std::string(task_id);
}

Task& EcsState::add_task(Task task) {
    task.sequence = next_task_sequence_++;
    std::string id = task.id;
    return tasks_.insert_or_assign(std::move(id), std::move(task)).first->second;
}

Task* EcsState::find_task(std::string_view task_id) {
    auto it = tasks_.find(task_id);
    return it == tasks_.end() ? nullptr : &it->second;
}

std::vector<Task*> EcsState::tasks() {
    std::vector<Task*> out;
    out.reserve(tasks_.size());
    for (auto& [id, task] : tasks_)
        out.push_back(&task);
    std::ranges::sort(out, [](const Task* a, const Task* b) { return a->sequence < b->sequence; });
    return out;
}

void EcsState::expire(TimePoint now) {
    std::erase_if(tasks_, [&](const auto& entry) {
        const Task& task = entry.second;
        return task.status == TaskStatus::stopped && task.stopped_at &&
               now - *task.stopped_at > std::chrono::hours(1);
    });
    std::erase_if(client_tokens_, [&](const auto& entry) {
        return now - entry.second.at > std::chrono::hours(24);
    });
}

const EcsState::ClientTokenUse* EcsState::client_token(std::string_view cluster_arn,
                                                       std::string_view token) const {
    auto it = client_tokens_.find(std::string(cluster_arn) + "\n" + std::string(token));
    return it == client_tokens_.end() ? nullptr : &it->second;
}

void EcsState::remember_client_token(std::string_view cluster_arn, std::string_view token,
                                     ClientTokenUse use) {
    client_tokens_[std::string(cluster_arn) + "\n" + std::string(token)] = std::move(use);
}

}  // namespace sockerless::awssim
