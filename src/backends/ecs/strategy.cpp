#include "backends/ecs/strategy.h"

#include "backends/ecs/config.h"

namespace sockerless::ecs {

std::string_view format_strategy(InjectionStrategy strategy) noexcept {
    switch (strategy) {
        case InjectionStrategy::efs:
            return "efs";
        case InjectionStrategy::init_container:
            return "init-container";
    }
    return "unknown";
}

Result<InjectionStrategy> parse_strategy(std::string_view text) {
    if (text == "efs") return InjectionStrategy::efs;
    if (text == "init-container") return InjectionStrategy::init_container;
    return make_error(Errc::invalid_argument, "\"" + std::string(text) +
                                                  "\" is not an injection strategy (use \"efs\" "
                                                  "or \"init-container\")");
}

InjectionStrategy select_strategy(const EcsConfig& config) noexcept {
    if (config.injection) return *config.injection;
    if (!config.efs_filesystem_id.empty()) return InjectionStrategy::efs;
    return InjectionStrategy::init_container;
}

}  // namespace sockerless::ecs
