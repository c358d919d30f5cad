#pragma once
// The ECS control-plane state of one simulated account and region: clusters, task definition
// revisions and resource tags. Plain data with lookups; validation lives in EcsService. Not
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

namespace sockerless::awssim {

using Tags = std::vector<std::pair<std::string, std::string>>;  // in insertion order

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

private:
    std::string region_;
    std::map<std::string, Cluster, std::less<>> clusters_;
    std::map<std::string, std::vector<TaskDefinition>, std::less<>> families_;
    std::map<std::string, Tags, std::less<>> tags_;
};

}  // namespace sockerless::awssim
