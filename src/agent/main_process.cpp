#include "agent/main_process.h"

#include <signal.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>

#include "agent/log.h"

namespace sockerless::agent {
namespace asio = boost::asio;
using agentproto::Stream;

namespace {

// The tee to the agent's own stdout/stderr is deliberately blocking: it is the task's log driver,
// and a log driver that cannot keep up slows the container down rather than losing its output.
void write_all(int fd, const unsigned char* data, std::size_t length) {
    while (length > 0) {
        ssize_t n = ::write(fd, data, length);
        if (n < 0) {
            if (errno == EINTR) continue;
            return;  // nobody reads the agent's output: the log copy is lost, the sessions are not
        }
        data += n;
        length -= static_cast<std::size_t>(n);
    }
}

bool is_terminating(int signal) {
    return signal == SIGTERM || signal == SIGINT || signal == SIGQUIT;
}

std::int64_t wall_clock_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace

MainProcess::MainProcess(const asio::any_io_executor& executor, Reaper& reaper, MainConfig config,
                         std::function<void(ExitStatus)> on_final_exit)
    : executor_(executor),
      reaper_(reaper),
      config_(std::move(config)),
      on_final_exit_(std::move(on_final_exit)),
      out_(executor),
      err_(executor),
      changed_(executor) {}

void MainProcess::boot() {
    if (config_.hold || config_.argv.empty()) return;
    auto started = launch(config_.argv, {});
    if (!started) {
        log_error("cannot start the main process: " + started.error().message);
        // Exit as a runtime does when the container's process cannot start.
        int code = started.error().code == Errc::not_found ? 127 : 126;
        last_exit_code_ = code;
        last_exit_ = ExitStatus{code, 0};
        final_exit(ExitStatus{code, 0});
    }
}

void MainProcess::final_exit(ExitStatus status) {
    ending_ = true;
    auto followers = std::move(followers_);
    followers_.clear();
    for (auto& f : followers)
        f->outlet().finish(agentproto::LogsEnd{f->outlet().session(), log_.dropped()});
    on_final_exit_(status);
}

Result<int> MainProcess::start(const agentproto::StartRequest& request) {
    if (running_)
        return make_error(Errc::conflict,
                          "the main process is already running as pid " + std::to_string(pid_));
    if (ending_)
        return make_error(Errc::conflict,
                          "the main process has exited and the agent is shutting down");
    std::vector<std::string> argv = request.argv.empty() ? config_.argv : request.argv;
    if (argv.empty())
        return make_error(Errc::invalid_argument, "no command to start: the agent was given none");
    if (!request.argv.empty()) config_.argv = request.argv;
    auto pid = launch(std::move(argv), request.env);
    if (!pid && !config_.keep_alive) {
        // Like a container whose process cannot start: the task ends with 127 or 126.
        int code = pid.error().code == Errc::not_found ? 127 : 126;
        last_exit_code_ = code;
        last_exit_ = ExitStatus{code, 0};
        final_exit(ExitStatus{code, 0});
    }
    return pid;
}

Result<int> MainProcess::launch(std::vector<std::string> argv,
                                const std::vector<std::string>& env) {
    SpawnSpec spec;
    spec.argv = std::move(argv);
    spec.tty = config_.tty;
    spec.stdin_pipe = config_.open_stdin;
    spec.workdir = config_.defaults.workdir;
    std::string home = "/";
    if (!config_.defaults.user.empty()) {
        auto creds = resolve_user_in(config_.defaults.user, config_.defaults.root);
        // A user that cannot be resolved is a start failure (126), not a missing command (127).
        if (!creds) return make_error(Errc::invalid_argument, creds.error().message);
        home = creds->home;
        spec.user = std::move(*creds);
    } else if (auto creds = resolve_user_in(std::to_string(::geteuid()), config_.defaults.root)) {
        home = creds->home;
    }
    spec.env = build_environment(config_.defaults.env, env, home, config_.tty);
    auto spawned = spawn_process(spec);
    if (auto* err = std::get_if<SpawnError>(&spawned)) return err->error;
    auto& proc = std::get<SpawnedProcess>(spawned);

    pid_ = proc.pid;
    running_ = true;
    drain_expired_ = false;
    ++runs_;
    run_exit_.reset();
    reaper_.watch(pid_, [this](ExitStatus status) {
        run_exit_ = status;
        changed_.notify();
    });
    out_.assign(proc.stdout_fd.release());
    if (proc.stderr_fd) err_.assign(proc.stderr_fd.release());
    if (proc.stdin_fd) {
        stdin_ = std::make_shared<StdinWriter>(executor_, std::move(proc.stdin_fd), config_.tty);
        StdinWriter::start(stdin_);
        for (auto& p : pending_input_)
            stdin_->write(std::move(p.chunk), p.length, std::move(p.ack));
        if (stdin_closed_) stdin_->close();
    } else {
        for (auto& p : pending_input_) {
            if (auto a = p.ack.lock()) a->stdin_consumed(p.length);
        }
    }
    pending_input_.clear();
    log_info("main process started: pid " + std::to_string(pid_) + " run " + std::to_string(runs_));
    asio::co_spawn(executor_, supervise(this), asio::detached);
    return pid_;
}

asio::awaitable<void> MainProcess::run_pump(MainProcess* self, asio::posix::stream_descriptor& fd,
                                            Stream stream) {
    co_await pump(fd, stream, *self);
    --self->pumps_running_;
    self->changed_.notify();
}

asio::awaitable<void> MainProcess::supervise(MainProcess* self) {
    self->pumps_running_ = self->err_.is_open() ? 2 : 1;
    asio::co_spawn(self->executor_, run_pump(self, self->out_, Stream::out), asio::detached);
    if (self->err_.is_open())
        asio::co_spawn(self->executor_, run_pump(self, self->err_, Stream::err), asio::detached);

    while (!self->run_exit_)
        co_await self->changed_.wait();
    asio::steady_timer deadline(self->executor_, kDrainAfterExit);
    deadline.async_wait([self](const boost::system::error_code& ec) {
        if (ec) return;
        self->drain_expired_ = true;
        for (auto& s : self->subscribers_)
            s->outlet().unblock_producers();
        for (auto& f : self->followers_)
            f->outlet().unblock_producers();
        boost::system::error_code ignored;
        self->out_.close(ignored);
        self->err_.close(ignored);
    });
    while (self->pumps_running_ > 0)
        co_await self->changed_.wait();
    deadline.cancel();
    self->end_run(*self->run_exit_);
}

void MainProcess::end_run(ExitStatus status) {
    boost::system::error_code ignored;
    out_.close(ignored);
    err_.close(ignored);
    if (stdin_) stdin_->abort();
    stdin_.reset();
    stdin_closed_ = false;
    running_ = false;
    last_exit_code_ = status.code;
    last_exit_ = status;
    log_info("main process pid " + std::to_string(pid_) + " exited with " +
             std::to_string(status.code));
    pid_ = 0;
    auto finished = std::move(subscribers_);
    subscribers_.clear();
    for (auto& s : finished) {
        s->outlet().finish(agentproto::Exit{s->outlet().session(), status.code, status.signal});
    }
    if (!config_.keep_alive || terminating_) final_exit(status);
}

std::shared_ptr<AttachSession> MainProcess::attach(const agentproto::AttachRequest& request,
                                                   const std::shared_ptr<Outlet>& outlet,
                                                   const std::shared_ptr<StdinAcks>& acks) {
    auto session = std::make_shared<AttachSession>(outlet, *this, request, acks);
    if (ending_ && !running_) {
        ExitStatus last = last_exit_.value_or(ExitStatus{});
        outlet->finish(agentproto::Exit{request.session, last.code, last.signal});
        return session;
    }
    if (request.replay && running_) {
        for (const LogEntry* e : log_.newest_of_run(runs_, kReplayBytes)) {
            if (session->wants(e->stream)) outlet->push(e->stream, e->chunk, e->length);
        }
    }
    subscribers_.push_back(session);
    return session;
}

std::shared_ptr<LogsSession> MainProcess::logs(const agentproto::LogsRequest& request,
                                               const std::shared_ptr<Outlet>& outlet,
                                               const std::shared_ptr<StdinAcks>& acks) {
    auto session = std::make_shared<LogsSession>(outlet, *this, request, acks);
    for (const LogPiece& piece : log_.select(request))
        session->send(*piece.entry, piece.offset);
    // Entries are stamped with the wall clock when read: a bound already past selects no more.
    bool past = request.until != 0 && request.until < wall_clock_ns();
    if (request.follow && !ending_ && !past) {
        followers_.push_back(session);
    } else {
        outlet->finish(agentproto::LogsEnd{request.session, log_.dropped()});
    }
    return session;
}

void MainProcess::stop_following(LogsSession* session, bool detached) {
    auto it = std::find_if(followers_.begin(), followers_.end(),
                           [session](const auto& f) { return f.get() == session; });
    if (it == followers_.end()) return;
    if (!detached)
        session->outlet().finish(agentproto::LogsEnd{session->outlet().session(), log_.dropped()});
    followers_.erase(it);
    changed_.notify();
}

void MainProcess::detach(AttachSession* session) {
    auto it = std::find_if(subscribers_.begin(), subscribers_.end(),
                           [session](const auto& s) { return s.get() == session; });
    if (it != subscribers_.end()) subscribers_.erase(it);
    changed_.notify();
}

asio::awaitable<void> MainProcess::wait_space() {
    if (drain_expired_) co_return;
    // Copy: the list changes while we wait.
    auto subscribers = subscribers_;
    for (auto& s : subscribers)
        co_await s->outlet().wait_space();
    auto followers = followers_;
    for (auto& f : followers)
        co_await f->outlet().wait_space();
}

void MainProcess::consume(Stream stream, Chunk chunk, std::size_t length) {
    write_all(stream == Stream::err ? STDERR_FILENO : STDOUT_FILENO, chunk.data.get(), length);
    const LogEntry& entry = log_.append(stream, runs_, chunk, length, wall_clock_ns());
    for (auto& s : subscribers_) {
        if (s->wants(stream)) s->outlet().push(stream, chunk, length);
    }
    // Copy: a follower past its `until` leaves the list.
    auto followers = followers_;
    for (auto& f : followers) {
        if (f->request().until != 0 && entry.time > f->request().until) {
            stop_following(f.get(), false);
        } else if (log_selects(f->request(), entry)) {
            f->send(entry);
        }
    }
}

void MainProcess::write_stdin(Chunk chunk, std::size_t length, std::weak_ptr<StdinAcks> ack) {
    if (stdin_) {
        stdin_->write(std::move(chunk), length, std::move(ack));
    } else if (!running_ && config_.open_stdin && !ending_) {
        pending_input_.push_back(PendingInput{std::move(chunk), length, std::move(ack)});
    } else if (auto a = ack.lock()) {
        a->stdin_consumed(length);  // no stdin to write to: discarded, as Docker does
    }
}

void MainProcess::close_stdin() {
    if (stdin_) {
        stdin_->close();
    } else if (!running_) {
        stdin_closed_ = true;
    }
}

Status MainProcess::signal(int signal) {
    // Once reaped, the pid may belong to someone else: never signal it again.
    if (!running_ || run_exit_)
        return make_error(Errc::conflict, "the main process is not running");
    if (::kill(pid_, signal) != 0) return errno_error("kill " + std::to_string(pid_), errno);
    return ok();
}

Status MainProcess::resize(std::uint16_t rows, std::uint16_t cols) {
    if (!config_.tty)
        return make_error(Errc::conflict, "the main process has no terminal to resize");
    if (!running_ || !out_.is_open())
        return make_error(Errc::conflict, "the main process is not running");
    struct winsize ws {};
    ws.ws_row = rows;
    ws.ws_col = cols;
    if (::ioctl(out_.native_handle(), TIOCSWINSZ, &ws) != 0)
        return errno_error("resize terminal", errno);
    return ok();
}

void MainProcess::on_agent_signal(int signal) {
    if (running_) {
        if (is_terminating(signal)) terminating_ = true;
        if (!run_exit_) ::kill(pid_, signal);
        return;
    }
    if ((is_terminating(signal) || signal == SIGHUP) && !ending_)
        final_exit(ExitStatus{128 + signal, signal});
}

agentproto::Health MainProcess::health() const {
    agentproto::Health h;
    h.ready = true;
    h.keep_alive = config_.keep_alive;
    bool alive = running_ && !run_exit_;
    h.main_pid = alive ? pid_ : 0;
    h.main_running = alive;
    h.main_exited = !alive && (run_exit_.has_value() || last_exit_code_.has_value());
    h.exit_code = run_exit_ ? std::optional<int>(run_exit_->code) : last_exit_code_;
    h.runs = runs_;
    return h;
}

AttachSession::AttachSession(std::shared_ptr<Outlet> outlet, MainProcess& main,
                             const agentproto::AttachRequest& request,
                             const std::shared_ptr<StdinAcks>& acks)
    : Session(std::move(outlet)),
      main_(main),
      stdin_(request.stdin),
      stdout_(request.stdout),
      stderr_(request.stderr),
      acks_(acks) {}

bool AttachSession::wants(Stream stream) const noexcept {
    return stream == Stream::err ? stderr_ : stdout_;
}

void AttachSession::on_stdin(Chunk data, std::size_t length) {
    if (stdin_ && !closed_stdin_) {
        main_.write_stdin(std::move(data), length, acks_);
    } else if (auto a = acks_.lock()) {
        a->stdin_consumed(length);
    }
}

void AttachSession::on_close_stdin() {
    if (closed_stdin_) return;
    closed_stdin_ = true;
    if (stdin_ && main_.stdin_once()) main_.close_stdin();
}

Status AttachSession::on_signal(int signal) {
    return main_.signal(signal);
}

Status AttachSession::on_resize(std::uint16_t rows, std::uint16_t cols) {
    return main_.resize(rows, cols);
}

void AttachSession::on_detach() {
    outlet_->detach();
    on_close_stdin();
    main_.detach(this);
}

LogsSession::LogsSession(std::shared_ptr<Outlet> outlet, MainProcess& main,
                         const agentproto::LogsRequest& request,
                         const std::shared_ptr<StdinAcks>& acks)
    : Session(std::move(outlet)), main_(main), request_(request), acks_(acks) {}

void LogsSession::send(const LogEntry& entry, std::size_t offset) {
    outlet_->push_entry(entry.stream, entry.time, entry.chunk, offset, entry.length - offset);
}

void LogsSession::on_stdin(Chunk /*data*/, std::size_t length) {
    if (auto a = acks_.lock()) a->stdin_consumed(length);  // no stdin: discarded
}

void LogsSession::on_close_stdin() {
    main_.stop_following(this, false);
}

Status LogsSession::on_signal(int /*signal*/) {
    return make_error(Errc::conflict, "a logs session has no process to signal");
}

Status LogsSession::on_resize(std::uint16_t /*rows*/, std::uint16_t /*cols*/) {
    return make_error(Errc::conflict, "a logs session has no terminal to resize");
}

void LogsSession::on_detach() {
    outlet_->detach();
    main_.stop_following(this, true);
}

}  // namespace sockerless::agent
