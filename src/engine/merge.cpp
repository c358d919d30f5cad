#include "engine/merge.h"

#include <set>

namespace sockerless::engine {

namespace {

std::string env_key(const std::string& kv) {
    return kv.substr(0, kv.find('='));
}

}  // namespace

ContainerConfig merge_image_config(ContainerConfig user, const Image& image) {
    const ContainerConfig& img = image.config;
    if (user.user.empty()) user.user = img.user;
    user.exposed_ports.insert(img.exposed_ports.begin(), img.exposed_ports.end());
    if (user.env.empty()) {
        user.env = img.env;
    } else {
        std::set<std::string> keys;
        for (const std::string& kv : user.env)
            keys.insert(env_key(kv));
        for (const std::string& kv : img.env)
            if (!keys.contains(env_key(kv))) user.env.push_back(kv);
    }
    for (const auto& [k, v] : img.labels)
        user.labels.emplace(k, v);  // the user's win
    // A non-empty entrypoint from the client replaces the image's, and with it the image's Cmd;
    // `--entrypoint ""` arrives as [""], which does so too. An explicit [] keeps [] but still
    // takes the image's Cmd.
    if (!user.entrypoint || user.entrypoint->empty()) {
        if (!user.cmd || user.cmd->empty()) {
            user.cmd = img.cmd;
            user.args_escaped = img.args_escaped;
        }
        if (!user.entrypoint) user.entrypoint = img.entrypoint;
    }
    if (!user.healthcheck) {
        user.healthcheck = img.healthcheck;
    } else if (img.healthcheck) {
        HealthConfig& h = *user.healthcheck;
        const HealthConfig& i = *img.healthcheck;
        if (h.test.empty()) h.test = i.test;
        if (h.interval == 0) h.interval = i.interval;
        if (h.timeout == 0) h.timeout = i.timeout;
        if (h.start_period == 0) h.start_period = i.start_period;
        if (h.start_interval == 0) h.start_interval = i.start_interval;
        if (h.retries == 0) h.retries = i.retries;
    }
    if (user.working_dir.empty()) user.working_dir = img.working_dir;
    user.volumes.insert(img.volumes.begin(), img.volumes.end());
    if (user.stop_signal.empty()) user.stop_signal = img.stop_signal;
    // OnBuild and Shell are the image's build instructions: Docker does not copy them.
    // Docker's mergeAndVerifyConfig then drops the [""] entrypoint: the container runs its Cmd.
    if (user.entrypoint && user.entrypoint->size() == 1 && user.entrypoint->front().empty())
        user.entrypoint.reset();
    return user;
}

}  // namespace sockerless::engine
