#include "agent/spawn.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace sockerless::agent {
namespace {

namespace fs = std::filesystem;

const std::vector<std::string> default_env = {"PATH=/usr/bin:/bin"};

::testing::AssertionResult contains(const std::string& text, std::string_view part) {
    if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure()
           << "\"" << text << "\" does not contain \"" << part << "\"";
}

// Reads until end of file. A pty master reports the end (the slave side closed) as EIO.
std::string read_all(int fd) {
    std::string out;
    char buf[4096];
    while (true) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n > 0) {
            out.append(buf, static_cast<std::size_t>(n));
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else {
            break;
        }
    }
    return out;
}

// The child's exit code, or -1 when it did not exit normally (or could not be waited for).
int wait_exit(pid_t pid) {
    int status = 0;
    pid_t r;
    do {
        r = ::waitpid(pid, &status, 0);
    } while (r < 0 && errno == EINTR);
    if (r < 0 || !WIFEXITED(status)) return -1;
    return WEXITSTATUS(status);
}

SpawnedProcess spawn_ok(const SpawnSpec& spec) {
    auto r = spawn_process(spec);
    if (auto* err = std::get_if<SpawnError>(&r)) {
        ADD_FAILURE() << "spawn failed: " << err->error.message;
        return {};
    }
    return std::move(std::get<SpawnedProcess>(r));
}

SpawnError spawn_fails(const SpawnSpec& spec) {
    auto r = spawn_process(spec);
    if (auto* p = std::get_if<SpawnedProcess>(&r)) {
        ADD_FAILURE() << "spawn unexpectedly succeeded";
        wait_exit(p->pid);
        return {};
    }
    return std::get<SpawnError>(std::move(r));
}

// Runs a pipe-mode spec to completion: its stdout, stderr and exit code.
struct Outcome {
    std::string out, err;
    int code = -1;
};

Outcome run(const SpawnSpec& spec) {
    SpawnedProcess p = spawn_ok(spec);
    if (p.pid < 0) return {};
    Outcome o;
    o.out = read_all(p.stdout_fd.get());
    o.err = read_all(p.stderr_fd.get());
    o.code = wait_exit(p.pid);
    return o;
}

class TempDir : public ::testing::Test {
protected:
    void SetUp() override {
        std::string tmpl = (fs::temp_directory_path() / "spawn_test.XXXXXX").string();
        ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
        dir_ = fs::canonical(tmpl).string();
    }
    void TearDown() override {
        std::error_code ec;
        if (!dir_.empty()) fs::remove_all(dir_, ec);
    }
    // Creates `rel` below the temp dir holding a shell script, with the given mode.
    std::string make_file(const std::string& rel, mode_t mode) {
        fs::path p = fs::path(dir_) / rel;
        fs::create_directories(p.parent_path());
        {
            std::ofstream out(p);
            out << "#!/bin/sh\necho script\n";
        }
        EXPECT_EQ(::chmod(p.c_str(), mode), 0);
        return p.string();
    }

    std::string dir_;
};

// ---- resolve_executable ----

TEST(ResolveExecutable, PathsWithSlashAreKept) {
    auto abs = resolve_executable("/bin/sh", {});
    ASSERT_TRUE(abs.has_value());
    EXPECT_EQ(*abs, "/bin/sh");
    // Not searched and not checked: exec reports a missing file.
    auto rel = resolve_executable("./no/such/tool", {"PATH=/bin"});
    ASSERT_TRUE(rel.has_value());
    EXPECT_EQ(*rel, "./no/such/tool");
}

TEST(ResolveExecutable, EmptyNameIsInvalid) {
    auto r = resolve_executable("", default_env);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, Errc::invalid_argument);
}

TEST_F(TempDir, ResolveExecutableSearchesPathOfGivenEnv) {
    std::string tool = make_file("bin/mytool", 0755);
    auto r = resolve_executable("mytool", {"HOME=/", "PATH=/nonexistent:" + dir_ + "/bin:/bin"});
    ASSERT_TRUE(r.has_value()) << r.error().message;
    EXPECT_EQ(*r, tool);
}

TEST_F(TempDir, ResolveExecutableTakesFirstMatchInPathOrder) {
    make_file("a/mytool", 0755);
    std::string second = make_file("b/mytool", 0755);
    auto r = resolve_executable("mytool", {"PATH=" + dir_ + "/b:" + dir_ + "/a"});
    ASSERT_TRUE(r.has_value()) << r.error().message;
    EXPECT_EQ(*r, second);
}

TEST_F(TempDir, ResolveExecutableSkipsNonExecutablesAndDirectories) {
    make_file("a/mytool", 0644);
    fs::create_directories(fs::path(dir_) / "b" / "mytool");
    std::string good = make_file("c/mytool", 0700);
    std::string path = "PATH=" + dir_ + "/a:" + dir_ + "/b:" + dir_ + "/c";
    auto r = resolve_executable("mytool", {path});
    ASSERT_TRUE(r.has_value()) << r.error().message;
    EXPECT_EQ(*r, good);

    auto none = resolve_executable("mytool", {"PATH=" + dir_ + "/a:" + dir_ + "/b"});
    ASSERT_FALSE(none.has_value());
    EXPECT_EQ(none.error().code, Errc::not_found);
}

TEST_F(TempDir, ResolveExecutableUsesDefaultPathWhenEnvHasNone) {
    make_file("bin/mytool", 0755);
    // PATHX is not PATH: the default applies, which does not include the temp dir.
    std::vector<std::string> env = {"HOME=/", "PATHX=" + dir_ + "/bin"};
    auto missing = resolve_executable("mytool", env);
    ASSERT_FALSE(missing.has_value());
    EXPECT_EQ(missing.error().code, Errc::not_found);

    auto sh = resolve_executable("sh", env);
    ASSERT_TRUE(sh.has_value()) << sh.error().message;
    fs::path found(*sh);
    EXPECT_EQ(found.filename(), "sh");
    std::string default_path = std::string(":") + kDefaultPath + ":";
    EXPECT_TRUE(contains(default_path, ":" + found.parent_path().string() + ":"));
    EXPECT_EQ(::access(sh->c_str(), X_OK), 0);
}

TEST(ResolveExecutable, NotFoundHasDockersMessage) {
    auto r = resolve_executable("x", {"PATH=/nonexistent-a:/nonexistent-b"});
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, Errc::not_found);
    EXPECT_EQ(r.error().message, "exec: \"x\": executable file not found in $PATH");

    auto d = resolve_executable("no-such-tool-sockerless", {});
    ASSERT_FALSE(d.has_value());
    EXPECT_EQ(d.error().message,
              "exec: \"no-such-tool-sockerless\": executable file not found in $PATH");
}

// ---- build_environment ----

TEST(BuildEnvironment, OverridesReplaceByKeyInPlace) {
    auto env = build_environment({"A=1", "AB=x", "PATH=/p", "HOME=/h"}, {"A=2", "C=3", "AB=y=z"},
                                 "/home/u", false);
    EXPECT_EQ(env, (std::vector<std::string>{"A=2", "AB=y=z", "PATH=/p", "HOME=/h", "C=3"}));
}

TEST(BuildEnvironment, PathDefaultAdded) {
    auto env = build_environment({"A=1"}, {}, "/root", false);
    EXPECT_EQ(env,
              (std::vector<std::string>{"A=1", std::string("PATH=") + kDefaultPath, "HOME=/root"}));
    auto kept = build_environment({}, {"PATH=/only"}, "/root", false);
    EXPECT_EQ(kept, (std::vector<std::string>{"PATH=/only", "HOME=/root"}));
}

TEST(BuildEnvironment, HomeFromUserUnlessSet) {
    auto from_user = build_environment({"PATH=/p"}, {}, "/home/alice", false);
    EXPECT_EQ(from_user, (std::vector<std::string>{"PATH=/p", "HOME=/home/alice"}));
    auto no_home = build_environment({"PATH=/p"}, {}, "", false);
    EXPECT_EQ(no_home, (std::vector<std::string>{"PATH=/p", "HOME=/"}));
    auto base_home = build_environment({"PATH=/p", "HOME=/base"}, {}, "/home/alice", false);
    EXPECT_EQ(base_home, (std::vector<std::string>{"PATH=/p", "HOME=/base"}));
    auto override_home =
        build_environment({"PATH=/p", "HOME=/base"}, {"HOME=/mine"}, "/home/alice", false);
    EXPECT_EQ(override_home, (std::vector<std::string>{"PATH=/p", "HOME=/mine"}));
}

TEST(BuildEnvironment, TermOnlyForTtyAndOnlyWhenUnset) {
    auto no_tty = build_environment({"PATH=/p", "HOME=/"}, {}, "/", false);
    EXPECT_EQ(no_tty, (std::vector<std::string>{"PATH=/p", "HOME=/"}));
    auto tty = build_environment({"PATH=/p", "HOME=/"}, {}, "/", true);
    EXPECT_EQ(tty, (std::vector<std::string>{"PATH=/p", "HOME=/", "TERM=xterm"}));
    auto set = build_environment({"PATH=/p", "HOME=/"}, {"TERM=vt100"}, "/", true);
    EXPECT_EQ(set, (std::vector<std::string>{"PATH=/p", "HOME=/", "TERM=vt100"}));
    auto base = build_environment({"TERM=dumb", "PATH=/p", "HOME=/"}, {}, "/", true);
    EXPECT_EQ(base, (std::vector<std::string>{"TERM=dumb", "PATH=/p", "HOME=/"}));
}

// ---- inherited_environment ----

class ScopedEnv {
public:
    ScopedEnv(const char* key, const char* value) : key_(key) {
        if (const char* old = ::getenv(key)) old_ = old;
        ::setenv(key, value, 1);
    }
    ~ScopedEnv() {
        if (old_) {
            ::setenv(key_.c_str(), old_->c_str(), 1);
        } else {
            ::unsetenv(key_.c_str());
        }
    }
    ScopedEnv(const ScopedEnv&) = delete;
    ScopedEnv& operator=(const ScopedEnv&) = delete;

private:
    std::string key_;
    std::optional<std::string> old_;
};

TEST(InheritedEnvironment, DropsSockerlessSettings) {
    ScopedEnv a("SOCKERLESS_SPAWN_TEST_A", "1");
    ScopedEnv b("SOCKERLESS_", "2");
    ScopedEnv keep("SPAWN_TEST_KEEP", "kept=value");
    ScopedEnv inner("X_SOCKERLESS_SPAWN_TEST", "3");
    auto env = inherited_environment();
    auto has = [&env](const std::string& kv) {
        return std::find(env.begin(), env.end(), kv) != env.end();
    };
    EXPECT_TRUE(has("SPAWN_TEST_KEEP=kept=value"));
    EXPECT_TRUE(has("X_SOCKERLESS_SPAWN_TEST=3"));
    for (const auto& kv : env)
        EXPECT_NE(kv.rfind("SOCKERLESS_", 0), 0u) << kv;
}

// ---- spawn_process ----

TEST(SpawnProcess, PipesCarryStdoutStderrAndExitCode) {
    SpawnSpec spec;
    spec.argv = {"/bin/sh", "-c", "echo hi; echo err >&2; exit 3"};
    spec.env = default_env;
    SpawnedProcess p = spawn_ok(spec);
    ASSERT_GT(p.pid, 0);
    EXPECT_FALSE(p.stdin_fd.valid());  // stdin is /dev/null
    ASSERT_TRUE(p.stdout_fd.valid());
    ASSERT_TRUE(p.stderr_fd.valid());
    EXPECT_EQ(read_all(p.stdout_fd.get()), "hi\n");
    EXPECT_EQ(read_all(p.stderr_fd.get()), "err\n");
    EXPECT_EQ(wait_exit(p.pid), 3);
}

TEST(SpawnProcess, ArgvZeroIsResolvedAgainstSpecEnv) {
    SpawnSpec spec;
    spec.argv = {"sh", "-c", "echo \"$0|$1\"", "zero", "one two"};
    spec.env = default_env;
    Outcome o = run(spec);
    EXPECT_EQ(o.out, "zero|one two\n");
    EXPECT_EQ(o.code, 0);
}

TEST(SpawnProcess, StdinIsDevNullWithoutPipe) {
    SpawnSpec spec;
    spec.argv = {"cat"};
    spec.env = default_env;
    Outcome o = run(spec);
    EXPECT_EQ(o.out, "");
    EXPECT_EQ(o.err, "");
    EXPECT_EQ(o.code, 0);
}

TEST(SpawnProcess, StdinPipeFeedsTheChild) {
    SpawnSpec spec;
    spec.argv = {"cat"};
    spec.env = default_env;
    spec.stdin_pipe = true;
    SpawnedProcess p = spawn_ok(spec);
    ASSERT_GT(p.pid, 0);
    ASSERT_TRUE(p.stdin_fd.valid());
    const std::string text = "hello\nworld\n";
    ASSERT_EQ(::write(p.stdin_fd.get(), text.data(), text.size()),
              static_cast<ssize_t>(text.size()));
    p.stdin_fd.reset();
    EXPECT_EQ(read_all(p.stdout_fd.get()), text);
    EXPECT_EQ(read_all(p.stderr_fd.get()), "");
    EXPECT_EQ(wait_exit(p.pid), 0);
}

TEST(SpawnProcess, TtyGivesAControllingPseudoTerminal) {
    SpawnSpec spec;
    spec.argv = {"/bin/sh", "-c", "tty; echo ctty >/dev/tty; echo err >&2"};
    spec.env = default_env;
    spec.tty = true;
    SpawnedProcess p = spawn_ok(spec);
    ASSERT_GT(p.pid, 0);
    EXPECT_TRUE(p.stdin_fd.valid());
    ASSERT_TRUE(p.stdout_fd.valid());
    EXPECT_FALSE(p.stderr_fd.valid());
    std::string out = read_all(p.stdout_fd.get());
    EXPECT_EQ(wait_exit(p.pid), 0);
    EXPECT_EQ(out.rfind("/dev/pts/", 0), 0u) << out;
    // The terminal translates "\n" to "\r\n"; stderr is merged into the same stream.
    EXPECT_TRUE(contains(out, "\r\nctty\r\nerr\r\n"));
}

TEST(SpawnProcess, TtySizeIsApplied) {
    SpawnSpec spec;
    spec.argv = {"stty", "size"};
    spec.env = default_env;
    spec.tty = true;
    spec.rows = 31;
    spec.cols = 101;
    SpawnedProcess p = spawn_ok(spec);
    ASSERT_GT(p.pid, 0);
    std::string out = read_all(p.stdout_fd.get());
    EXPECT_EQ(wait_exit(p.pid), 0);
    EXPECT_EQ(out, "31 101\r\n");

    spec.rows = spec.cols = 0;  // defaults
    SpawnedProcess d = spawn_ok(spec);
    ASSERT_GT(d.pid, 0);
    std::string def = read_all(d.stdout_fd.get());
    EXPECT_EQ(wait_exit(d.pid), 0);
    EXPECT_EQ(def, "24 80\r\n");
}

TEST_F(TempDir, WorkdirIsApplied) {
    SpawnSpec spec;
    spec.argv = {"pwd"};
    spec.env = default_env;
    spec.workdir = dir_;
    Outcome o = run(spec);
    EXPECT_EQ(o.out, dir_ + "\n");
    EXPECT_EQ(o.code, 0);
}

TEST(SpawnProcess, WorkdirInheritedWhenEmpty) {
    SpawnSpec spec;
    spec.argv = {"pwd"};
    spec.env = default_env;
    Outcome o = run(spec);
    EXPECT_EQ(o.out, fs::canonical(fs::current_path()).string() + "\n");
}

// A start failure after fork leaves a child that exits with 127 at once; nothing else in a unit
// test waits for children, so collect it here. Returns its exit code, or -1 if there was none.
int reap_leftover() {
    int status = 0;
    pid_t r;
    do {
        r = ::waitpid(-1, &status, 0);
    } while (r < 0 && errno == EINTR);
    if (r < 0 || !WIFEXITED(status)) return -1;
    return WEXITSTATUS(status);
}

TEST_F(TempDir, MissingWorkdirFailsNamingIt) {
    SpawnSpec spec;
    spec.argv = {"/bin/sh", "-c", "echo should-not-run"};
    spec.env = default_env;
    spec.workdir = dir_ + "/no/such/dir";
    SpawnError e = spawn_fails(spec);
    EXPECT_EQ(reap_leftover(), 127);
    EXPECT_EQ(e.exit_code, 126);
    EXPECT_EQ(e.error.code, Errc::not_found);
    EXPECT_TRUE(contains(e.error.message, spec.workdir));
    EXPECT_TRUE(contains(e.error.message, "chdir"));
}

TEST(SpawnProcess, ExecutableNotInPathIs127) {
    SpawnSpec spec;
    spec.argv = {"no-such-tool-sockerless"};
    spec.env = default_env;
    SpawnError e = spawn_fails(spec);
    EXPECT_EQ(reap_leftover(), -1);  // the lookup failed before any fork
    EXPECT_EQ(e.exit_code, 127);
    EXPECT_EQ(e.error.code, Errc::not_found);
    EXPECT_EQ(e.error.message,
              "exec: \"no-such-tool-sockerless\": executable file not found in $PATH");
}

TEST_F(TempDir, MissingExecutablePathIs127) {
    SpawnSpec spec;
    spec.argv = {dir_ + "/missing"};
    spec.env = default_env;
    SpawnError e = spawn_fails(spec);
    EXPECT_EQ(reap_leftover(), 127);
    EXPECT_EQ(e.exit_code, 127);
    EXPECT_EQ(e.error.code, Errc::not_found);
    EXPECT_TRUE(contains(e.error.message, dir_ + "/missing"));
}

TEST_F(TempDir, NonExecutableFileIs126) {
    std::string file = make_file("script.sh", 0644);
    SpawnSpec spec;
    spec.argv = {file};
    spec.env = default_env;
    SpawnError e = spawn_fails(spec);
    EXPECT_EQ(reap_leftover(), 127);
    EXPECT_EQ(e.exit_code, 126);
    EXPECT_EQ(e.error.code, Errc::forbidden);  // EACCES, even for root
    EXPECT_TRUE(contains(e.error.message, file));
}

TEST(SpawnProcess, EmptyArgvIsRejected) {
    SpawnSpec spec;
    spec.env = default_env;
    SpawnError e = spawn_fails(spec);
    EXPECT_EQ(e.exit_code, 126);
    EXPECT_EQ(e.error.code, Errc::invalid_argument);
}

TEST(SpawnProcess, EnvironmentIsPassedExactly) {
    SpawnSpec spec;
    spec.argv = {"/usr/bin/env"};
    spec.env = {"A=1", "B=two words", "EMPTY="};
    Outcome o = run(spec);
    EXPECT_EQ(o.out, "A=1\nB=two words\nEMPTY=\n");
    EXPECT_EQ(o.code, 0);

    spec.env.clear();
    Outcome none = run(spec);
    EXPECT_EQ(none.out, "");
    EXPECT_EQ(none.code, 0);
}

TEST(SpawnProcess, DescriptorsAreNotLeaked) {
    int fd = ::open("/dev/null", O_RDONLY);  // deliberately without O_CLOEXEC
    ASSERT_GE(fd, 3);
    SpawnSpec spec;
    spec.argv = {"/bin/sh", "-c",
                 "if [ -e /proc/self/fd/$0 ]; then echo open; else echo closed; fi",
                 std::to_string(fd)};
    spec.env = default_env;
    Outcome o = run(spec);
    ::close(fd);
    EXPECT_EQ(o.out, "closed\n");
}

TEST(SpawnProcess, UserAndGroupsAreApplied) {
    if (::geteuid() != 0) GTEST_SKIP() << "changing user needs root";
    SpawnSpec spec;
    spec.argv = {"/bin/sh", "-c", "id -u; id -g; id -G"};
    spec.env = default_env;
    spec.user = Credentials{1234, 2345, {29, 3456}, "/", ""};
    Outcome o = run(spec);
    EXPECT_EQ(o.out, "1234\n2345\n2345 29 3456\n") << o.err;
    EXPECT_EQ(o.code, 0);
}

}  // namespace
}  // namespace sockerless::agent
