#pragma once
// The ECS control-plane state of one simulated account and region: clusters, task definition
// revisions, tasks and resource tags. Plain data with lookups; validation lives in EcsService. Not
// thread-safe: the simulator serves every request from one strand.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "account.h"
#include "task_model.h"

namespace sockerless::awssim {

struct Cluster {
    std::string name;
    std::string arn;
    bool active = true;
    boost::json::array settings;  // ClusterSetting list
    std::optional<boost::json::object> configuration;
};

struct TaskDefinition {
    std::string family;
    long revision = 0;
    std::string arn;
    bool active = true;
    boost::json::object body;  // the full TaskDefinition shape, arn and status included
};

// "name", or a cluster ARN -> name.
std::string cluster_name_from(std::string_view identifier);

struct TaskDefinitionRef {
    std::string family;
    std::optional<long> revision;
};
// "family", "family:rev" or a task definition ARN; nullopt when malformed.
std::optional<TaskDefinitionRef> parse_task_definition_ref(std::string_view identifier);

class EcsState {
public:
    explicit EcsState(std::string region) : region_(std::move(region)) {}

    const std::string& region() const { return region_; }
    std::string cluster_arn(std::string_view name) const;
    std::string task_definition_arn(std::string_view family, long revision) const;

    Cluster* find_cluster(std::string_view name);
    Cluster& put_cluster(Cluster cluster);

    // Assigns the next revision of `family`, stamps arn/revision/status into body and stores it.
    TaskDefinition& add_task_definition(const std::string& family, boost::json::object body);
    TaskDefinition* find_task_definition(std::string_view family, long revision);
    TaskDefinition* latest_active(std::string_view family);
    // Every revision, by family then revision.
    std::vector<const TaskDefinition*> task_definitions() const;
    bool resource_exists(std::string_view arn);

    const Tags& tags(std::string_view arn) const;
    void set_tags(const std::string& arn, Tags tags);

    std::string task_arn(std::string_view cluster_name, std::string_view task_id) const;
    // Stores a new task, stamping its creation sequence.
    Task& add_task(Task task);
    Task* find_task(std::string_view task_id);
    // Every task in creation order.
    std::vector<Task*> tasks();
    // Forgets tasks stopped more than an hour before `now` (ECS keeps them that long) and client
    // tokens older than a day.
    void expire(TimePoint now);

    // RunTask's clientToken idempotency: tokens are scoped to a cluster.
    struct ClientTokenUse {
        std::string fingerprint;
        std::vector<std::string> task_ids;
        TimePoint at;
    };
    const ClientTokenUse* client_token(std::string_view cluster_arn, std::string_view token) const;
    void remember_client_token(std::string_view cluster_arn, std::string_view token,
                               ClientTokenUse use);

private:
    std::string region_;
    std::map<std::string, Cluster, std::less<>> clusters_;
    std::map<std::string, std::vector<TaskDefinition>, std::less<>> families_;
    std::map<std::string, Tags, std::less<>> tags_;
    std::map<std::string, Task, std::less<>> tasks_;
    std::uint64_t next_task_sequence_ = 1;
    std::map<std::string, ClientTokenUse, std::less<>> client_tokens_;
};

}  // namespace sockerless::awssim
