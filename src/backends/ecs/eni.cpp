#include "backends/ecs/eni.h"

#include <algorithm>
#include <charconv>

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>

namespace sockerless::ecs {
namespace {

namespace json = boost::json;

constexpr std::string_view kEniType = "ElasticNetworkInterface";
constexpr std::string_view kIpDetail = "privateIPv4Address";

std::string attachments_json(const aws::EcsTask& task) {
    json::array out;
    for (const aws::EcsAttachment& a : task.attachments) {
        json::array details;
        for (const auto& [name, value] : a.details) {
            json::object d;
            d["name"] = name;
            d["value"] = value;
            details.emplace_back(std::move(d));
        }
        json::object o;
        o["id"] = a.id;
        o["type"] = a.type;
        o["status"] = a.status;
        o["details"] = std::move(details);
        out.emplace_back(std::move(o));
    }
    return json::serialize(out);
}

Error injection_error(Errc code, const aws::EcsTask& task, std::string_view problem) {
    return make_error(code, "ecs: agent injection: task " + task.task_arn + ": " +
                                std::string(problem) + "; attachments: " + attachments_json(task));
}

// Four decimal octets 0-255 without leading zeros (which some parsers read as octal).
bool is_ipv4(std::string_view s) {
    int parts = 0;
    while (parts < 4) {
        const std::size_t dot = s.find('.');
        const std::string_view part = s.substr(0, dot);
        unsigned value = 0;
        auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), value);
        if (part.empty() || part.size() > 3 || ec != std::errc() ||
            end != part.data() + part.size() || value > 255 ||
            (part.size() > 1 && part.front() == '0')) {
            return false;
        }
        ++parts;
        if (dot == std::string_view::npos) return parts == 4;
        s.remove_prefix(dot + 1);
    }
    return false;
}

}  // namespace

Result<std::string> agent_address(const aws::EcsTask& task, std::uint16_t port) {
    const auto eni = std::find_if(task.attachments.begin(), task.attachments.end(),
                                  [](const aws::EcsAttachment& a) { return a.type == kEniType; });
    if (eni == task.attachments.end())
        return injection_error(Errc::unavailable, task, "no ElasticNetworkInterface attachment");
    const std::string_view ip = eni->detail(kIpDetail);
    if (ip.empty())
        return injection_error(
            Errc::unavailable, task,
            "the ElasticNetworkInterface attachment " + eni->id + " has no privateIPv4Address");
    if (!is_ipv4(ip))
        return injection_error(
            Errc::internal, task,
            "privateIPv4Address \"" + std::string(ip) + "\" is not an IPv4 address");
    return std::string(ip) + ":" + std::to_string(port);
}

}  // namespace sockerless::ecs
