#include "faults.h"

#include <boost/json.hpp>

namespace sockerless::awssim {
namespace json = boost::json;
namespace {

std::string string_or(const json::object& o, std::string_view key, std::string fallback) {
    auto it = o.find(key);
    if (it == o.end() || !it->value().is_string()) return fallback;
    return std::string(it->value().as_string());
}

std::optional<long> int_member(const json::object& o, std::string_view key) {
    auto it = o.find(key);
    if (it == o.end() || !it->value().is_int64()) return std::nullopt;
    return static_cast<long>(it->value().as_int64());
}

const char* kind_name(TaskFaultKind kind) {
    return kind == TaskFaultKind::stop_before_running ? "stop_before_running" : "slow_provisioning";
}

ApiResult<TaskFault> parse_task_fault(const json::object& spec, int count) {
    std::string kind = string_or(spec, "task", "");
    TaskFault fault;
    fault.remaining = count;
    if (kind == "stop_before_running") {
        fault.kind = TaskFaultKind::stop_before_running;
        fault.stop_code = string_or(spec, "stop_code", "TaskFailedToStart");
        fault.reason = string_or(spec, "reason", "Task failed to start");
    } else if (kind == "slow_provisioning") {
        fault.kind = TaskFaultKind::slow_provisioning;
        auto delay = int_member(spec, "delay_ms");
        if (!delay || *delay < 0)
            return invalid_parameter("slow_provisioning needs a non-negative delay_ms");
        fault.delay = std::chrono::milliseconds(*delay);
    } else {
        return invalid_parameter("unknown task fault \"" + kind +
                                 "\": use stop_before_running or slow_provisioning");
    }
    return fault;
}

ApiResult<CallFault> parse_call_fault(const json::object& spec, int count) {
    CallFault fault;
    fault.remaining = count;
    fault.service = string_or(spec, "service", "");
    fault.operation = string_or(spec, "operation", "");
    if (auto latency = int_member(spec, "latency_ms")) {
        if (*latency < 0) return invalid_parameter("latency_ms must not be negative");
        fault.latency = std::chrono::milliseconds(*latency);
    }
    if (spec.contains("code") || spec.contains("status")) {
        auto status = int_member(spec, "status").value_or(500);
        if (status < 400 || status > 599)
            return invalid_parameter("an injected error's status must be 4xx or 5xx");
        fault.error =
            ApiError{static_cast<int>(status),
                     string_or(spec, "code", status >= 500 ? "InternalFailure" : "Throttling"),
                     string_or(spec, "message", "Injected fault")};
    }
    if (!fault.error && fault.latency.count() == 0)
        return invalid_parameter("a call fault needs an error (status/code) or latency_ms");
    return fault;
}

}  // namespace

ApiResult<void> FaultInjector::add(const json::object& spec) {
    auto count = int_member(spec, "count").value_or(1);
    if (count < 1) return invalid_parameter("count must be at least 1");
    if (spec.contains("task")) {
        auto fault = parse_task_fault(spec, static_cast<int>(count));
        if (!fault) return fault.error();
        tasks_.push_back(std::move(*fault));
        return {};
    }
    auto fault = parse_call_fault(spec, static_cast<int>(count));
    if (!fault) return fault.error();
    calls_.push_back(std::move(*fault));
    return {};
}

void FaultInjector::clear() {
    calls_.clear();
    tasks_.clear();
}

json::array FaultInjector::list() const {
    json::array out;
    for (const auto& f : calls_) {
        json::object o{{"service", f.service}, {"operation", f.operation}, {"count", f.remaining}};
        if (f.error) {
            o["status"] = f.error->status;
            o["code"] = f.error->code;
            o["message"] = f.error->message;
        }
        if (f.latency.count() > 0) o["latency_ms"] = f.latency.count();
        out.push_back(std::move(o));
    }
    for (const auto& f : tasks_) {
        json::object o{{"task", kind_name(f.kind)}, {"count", f.remaining}};
        if (f.kind == TaskFaultKind::stop_before_running) {
            o["stop_code"] = f.stop_code;
            o["reason"] = f.reason;
        } else {
            o["delay_ms"] = f.delay.count();
        }
        out.push_back(std::move(o));
    }
    return out;
}

CallEffect FaultInjector::on_call(std::string_view service, std::string_view operation) {
    CallEffect effect;
    bool latency_taken = false;
    for (auto& f : calls_) {
        if (f.remaining <= 0) continue;
        if (!f.service.empty() && f.service != service) continue;
        if (!f.operation.empty() && f.operation != operation) continue;
        bool used = false;
        if (f.error && !effect.error) {
            effect.error = f.error;
            used = true;
        }
        if (f.latency.count() > 0 && !latency_taken) {
            effect.latency = f.latency;
            latency_taken = true;
            used = true;
        }
        if (used) --f.remaining;
    }
    std::erase_if(calls_, [](const CallFault& f) { return f.remaining <= 0; });
    return effect;
}

std::optional<TaskFault> FaultInjector::take_task_fault(TaskFaultKind kind) {
    for (auto it = tasks_.begin(); it != tasks_.end(); ++it) {
        if (it->kind != kind) continue;
        TaskFault fault = *it;
        if (--it->remaining <= 0) tasks_.erase(it);
        return fault;
    }
    return std::nullopt;
}

}  // namespace sockerless::awssim
