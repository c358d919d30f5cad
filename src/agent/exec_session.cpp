#include "agent/exec_session.h"

#include <signal.h>
#include <sys/ioctl.h>
#include <termios.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>

#include "agent/log.h"

namespace sockerless::agent {
namespace asio = boost::asio;
using agentproto::Stream;

ExecSession::ExecSession(const asio::any_io_executor& executor, std::shared_ptr<Outlet> outlet)
    : Session(std::move(outlet)),
      executor_(executor),
      out_(executor),
      err_(executor),
      changed_(executor) {}

std::shared_ptr<ExecSession> ExecSession::launch(const asio::any_io_executor& executor,
                                                 Reaper& reaper,
                                                 const agentproto::ExecRequest& request,
                                                 std::shared_ptr<Outlet> outlet,
                                                 const ProcessDefaults& defaults,
                                                 const std::shared_ptr<StdinAcks>& acks) {
    auto self = std::make_shared<ExecSession>(executor, std::move(outlet));
    self->acks_ = acks;
    self->tty_ = request.tty;
    auto fail = [&](const Error& error, int code) {
        self->outlet_->push_control(
            agentproto::ErrorMessage{request.session, error.code, error.message});
        self->outlet_->finish(agentproto::Exit{request.session, code, 0});
        return self;
    };

    SpawnSpec spec;
    spec.argv = request.argv;
    spec.workdir = request.workdir.empty() ? defaults.workdir : request.workdir;
    spec.tty = request.tty;
    spec.stdin_pipe = request.stdin;
    spec.rows = request.rows;
    spec.cols = request.cols;
    std::string home = "/";
    const std::string& user = request.user.empty() ? defaults.user : request.user;
    if (!user.empty()) {
        auto creds = resolve_user_in(user, defaults.root);
        if (!creds) return fail(creds.error(), 126);
        home = creds->home;
        spec.user = std::move(*creds);
    } else if (auto creds = resolve_user_in(std::to_string(::geteuid()), defaults.root)) {
        home = creds->home;
    }
    spec.env = build_environment(defaults.env, request.env, home, request.tty);

    auto spawned = spawn_process(spec);
    if (auto* err = std::get_if<SpawnError>(&spawned)) return fail(err->error, err->exit_code);
    auto& proc = std::get<SpawnedProcess>(spawned);
    self->pid_ = proc.pid;
    reaper.watch(proc.pid, [weak = std::weak_ptr<ExecSession>(self)](ExitStatus status) {
        if (auto s = weak.lock()) {
            s->exit_ = status;
            s->changed_.notify();
        }
    });
    if (proc.stdin_fd && request.stdin) {  // a terminal without -i gets no input, as in Docker
        self->stdin_ =
            std::make_shared<StdinWriter>(executor, std::move(proc.stdin_fd), request.tty);
        StdinWriter::start(self->stdin_);
    }
    self->out_.assign(proc.stdout_fd.release());
    if (proc.stderr_fd) self->err_.assign(proc.stderr_fd.release());
    self->outlet_->push_control(agentproto::Started{request.session, proc.pid});
    log_debug("exec session " + std::to_string(request.session) + " started pid " +
              std::to_string(proc.pid));
    asio::co_spawn(executor, run(self), asio::detached);
    return self;
}

asio::awaitable<void> ExecSession::run_pump(std::shared_ptr<ExecSession> self,
                                            asio::posix::stream_descriptor& fd, Stream stream) {
    co_await pump(fd, stream, *self);
    --self->pumps_running_;
    self->changed_.notify();
}

asio::awaitable<void> ExecSession::run(std::shared_ptr<ExecSession> self) {
    self->pumps_running_ = self->err_.is_open() ? 2 : 1;
    asio::co_spawn(self->executor_, run_pump(self, self->out_, Stream::out), asio::detached);
    if (self->err_.is_open())
        asio::co_spawn(self->executor_, run_pump(self, self->err_, Stream::err), asio::detached);

    while (!self->exit_)
        co_await self->changed_.wait();
    if (self->stdin_) self->stdin_->abort();

    asio::steady_timer deadline(self->executor_, kDrainAfterExit);
    deadline.async_wait(
        [weak = std::weak_ptr<ExecSession>(self)](const boost::system::error_code& ec) {
            auto s = weak.lock();
            if (ec || !s) return;
            s->outlet_->unblock_producers();
            boost::system::error_code ignored;
            s->out_.close(ignored);
            s->err_.close(ignored);
        });
    while (self->pumps_running_ > 0)
        co_await self->changed_.wait();
    deadline.cancel();
    boost::system::error_code ignored;
    self->out_.close(ignored);
    self->err_.close(ignored);
    self->outlet_->finish(
        agentproto::Exit{self->outlet_->session(), self->exit_->code, self->exit_->signal});
}

void ExecSession::consume(Stream stream, Chunk chunk, std::size_t length) {
    outlet_->push(stream, std::move(chunk), length);
}

void ExecSession::on_stdin(Chunk data, std::size_t length) {
    if (stdin_) {
        stdin_->write(std::move(data), length, acks_);
    } else if (auto a = acks_.lock()) {
        a->stdin_consumed(length);  // no stdin requested: input is discarded, as Docker does
    }
}

void ExecSession::on_close_stdin() {
    if (stdin_) stdin_->close();
}

Status ExecSession::on_signal(int signal) {
    if (pid_ <= 0) return make_error(Errc::conflict, "the process did not start");
    if (exit_)
        return make_error(Errc::conflict,
                          "process " + std::to_string(pid_) + " has already exited");
    if (::kill(pid_, signal) != 0) return errno_error("kill " + std::to_string(pid_), errno);
    return ok();
}

Status ExecSession::on_resize(std::uint16_t rows, std::uint16_t cols) {
    if (!tty_) return make_error(Errc::conflict, "session has no terminal to resize");
    struct winsize ws {};
    ws.ws_row = rows;
    ws.ws_col = cols;
    if (!out_.is_open()) return make_error(Errc::conflict, "the terminal is already closed");
    if (::ioctl(out_.native_handle(), TIOCSWINSZ, &ws) != 0) {
        return errno_error("resize terminal", errno);
    }
    return ok();
}

void ExecSession::on_detach() {
    // Like a Docker exec whose client went away: the process keeps running, output is discarded.
    outlet_->detach();
    if (stdin_) stdin_->close();
}

}  // namespace sockerless::agent
