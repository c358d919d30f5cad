#include "awslogs_writer.h"

namespace sockerless::awssim {

void AwsLogsWriter::write(int source, std::string_view chunk) {
    std::string& pending = pending_[source == 0 ? 0 : 1];
    while (!chunk.empty()) {
        std::size_t newline = chunk.find('\n');
        pending.append(chunk.substr(0, newline));
        split_long(pending);
        if (newline == std::string_view::npos) break;
        emit(pending);
        pending.clear();
        chunk.remove_prefix(newline + 1);
    }
}

void AwsLogsWriter::split_long(std::string& pending) {
    // A line that outgrew an event goes out in pieces without waiting for its end.
    while (pending.size() > kMaxEventMessageBytes) {
        std::size_t cut = kMaxEventMessageBytes;
        while (cut > 0 && (static_cast<unsigned char>(pending[cut]) & 0xC0) == 0x80)
            --cut;
        emit(std::string_view(pending).substr(0, cut));
        pending.erase(0, cut);
    }
}

void AwsLogsWriter::open() {
    LogGroup* group = logs_.find_group(group_);
    if (!group || LogsState::find_stream(*group, stream_)) return;
    auto now =
        std::chrono::duration_cast<std::chrono::milliseconds>(clock_().time_since_epoch()).count();
    (void)LogsState::create_stream(*group, stream_, now);
}

void AwsLogsWriter::flush() {
    for (auto& pending : pending_) {
        if (!pending.empty()) emit(pending);
        pending.clear();
    }
}

void AwsLogsWriter::emit(std::string_view line) {
    if (line.empty()) return;  // CloudWatch Logs has no empty events
    LogGroup* group = logs_.find_group(group_);
    if (!group) return;
    auto now =
        std::chrono::duration_cast<std::chrono::milliseconds>(clock_().time_since_epoch()).count();
    LogStream* stream = LogsState::find_stream(*group, stream_);
    if (!stream) {
        auto created = LogsState::create_stream(*group, stream_, now);
        if (!created) return;
        stream = *created;
    }
    logs_.append(*stream, {InputLogEvent{now, std::string(line)}}, now);
}

}  // namespace sockerless::awssim
