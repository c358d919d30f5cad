#include "ecs_service.h"

#include <algorithm>

#include <boost/json.hpp>

#include "json_protocol.h"

namespace sockerless::awssim {
namespace json = boost::json;
namespace {

ApiError cluster_not_found() {
    return ApiError{400, "ClusterNotFoundException", "Cluster not found."};
}

bool valid_cluster_name(std::string_view name) {
    return !name.empty() && name.size() <= 255 && std::ranges::all_of(name, [](unsigned char c) {
        return std::isalnum(c) || c == '-' || c == '_';
    });
}

}  // namespace

ApiResult<json::object> EcsService::call(std::string_view operation, const Json& input,
                                         std::size_t request_bytes) {
    if (operation == "CreateCluster") return create_cluster(input);
    if (operation == "DescribeClusters") return describe_clusters(input);
    if (operation == "DeleteCluster") return delete_cluster(input);
    if (operation == "RegisterTaskDefinition")
        return register_task_definition(input, request_bytes);
    if (operation == "DescribeTaskDefinition") return describe_task_definition(input);
    if (operation == "DeregisterTaskDefinition") return deregister_task_definition(input);
    if (operation == "ListTaskDefinitions") return list_task_definitions(input);
    if (operation == "TagResource") return tag_resource(input);
    if (operation == "UntagResource") return untag_resource(input);
    if (operation == "ListTagsForResource") return list_tags_for_resource(input);
    if (operation == "RunTask") return run_task(input);
    if (operation == "DescribeTasks") return describe_tasks(input);
    if (operation == "ListTasks") return list_tasks(input);
    if (operation == "StopTask") return stop_task(input);
    return ApiError{400, "UnknownOperationException", ""};
}

double EcsService::now_seconds() const {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(clock_().time_since_epoch());
    return static_cast<double>(ms.count()) / 1000.0;
}

json::object EcsService::cluster_json(const Cluster& cluster, bool with_tags) const {
    json::object out{
        {"clusterArn", cluster.arn},
        {"clusterName", cluster.name},
        {"status", cluster.active ? "ACTIVE" : "INACTIVE"},
        {"registeredContainerInstancesCount", 0},
        {"runningTasksCount", 0},
        {"pendingTasksCount", 0},
        {"activeServicesCount", 0},
        {"statistics", json::array{}},
        {"tags", with_tags ? tags_json(cluster.arn) : json::array{}},
        {"settings", cluster.settings},
        {"capacityProviders", json::array{}},
        {"defaultCapacityProviderStrategy", json::array{}},
    };
    if (cluster.configuration) out["configuration"] = *cluster.configuration;
    return out;
}

ApiResult<json::object> EcsService::create_cluster(const Json& in) {
    auto name = opt_string(in, "clusterName");
    if (!name) return name.error();
    std::string cluster_name = name->value_or("default");
    if (!valid_cluster_name(cluster_name)) {
        return invalid_parameter(
            "Cluster name can have up to 255 characters: letters (uppercase and lowercase), "
            "numbers, underscores and hyphens.");
    }
    auto tags = parse_tags(in, "tags");
    if (!tags) return tags.error();
    auto settings = opt_objects(in, "settings");
    if (!settings) return settings.error();
    json::array cluster_settings;
    if (*settings)
        cluster_settings = **settings;
    else
        cluster_settings.push_back(
            json::object{{"name", "containerInsights"}, {"value", "disabled"}});
    auto configuration = in.if_contains("configuration");
    if (configuration && !configuration->is_null() && !configuration->is_object())
        return ApiError{400, "SerializationException",
                        "Unexpected value for field 'configuration'"};

    // An existing active cluster is returned as it is, as AWS does.
    if (Cluster* existing = state_.find_cluster(cluster_name); existing && existing->active)
        return json::object{{"cluster", cluster_json(*existing, false)}};

    Cluster cluster{cluster_name, state_.cluster_arn(cluster_name), true, cluster_settings, {}};
    if (configuration && configuration->is_object())
        cluster.configuration = configuration->as_object();
    state_.set_tags(cluster.arn, {});
    if (auto st = apply_tags(cluster.arn, *tags); !st) return st.error();
    Cluster& stored = state_.put_cluster(std::move(cluster));
    return json::object{{"cluster", cluster_json(stored, false)}};
}

ApiResult<json::object> EcsService::describe_clusters(const Json& in) {
    auto ids = opt_strings(in, "clusters");
    if (!ids) return ids.error();
    auto include = opt_strings(in, "include");
    if (!include) return include.error();
    std::vector<std::string> wanted = ids->value_or(std::vector<std::string>{"default"});
    if (wanted.size() > 100)
        return invalid_parameter("Clusters cannot have more than 100 elements");
    bool with_tags =
        include->has_value() && std::ranges::find(**include, "TAGS") != (*include)->end();

    json::array clusters, failures;
    for (const auto& id : wanted) {
        std::string name = cluster_name_from(id);
        Cluster* c = state_.find_cluster(name);
        if (c && (!id.starts_with("arn:") || id == c->arn)) {
            clusters.push_back(cluster_json(*c, with_tags));
        } else {
            std::string arn = id.starts_with("arn:") ? id : state_.cluster_arn(name);
            failures.push_back(json::object{{"arn", arn}, {"reason", "MISSING"}});
        }
    }
    return json::object{{"clusters", std::move(clusters)}, {"failures", std::move(failures)}};
}

ApiResult<json::object> EcsService::delete_cluster(const Json& in) {
    auto id = opt_string(in, "cluster");
    if (!id) return id.error();
    if (!*id) return invalid_parameter("Cluster cannot be null or empty.");
    Cluster* c = state_.find_cluster(cluster_name_from(**id));
    if (!c || !c->active || ((*id)->starts_with("arn:") && **id != c->arn))
        return cluster_not_found();
    c->active = false;
    return json::object{{"cluster", cluster_json(*c, false)}};
}

}  // namespace sockerless::awssim
