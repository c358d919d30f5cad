#include "store/store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace sockerless::store {
namespace {

namespace fs = std::filesystem;

class StoreTest : public ::testing::Test {
protected:
    void SetUp() override {
        std::string tmpl = (fs::temp_directory_path() / "store_test.XXXXXX").string();
        ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
        dir_ = tmpl;
        path_ = (dir_ / "state.db").string();
    }
    void TearDown() override {
        std::error_code ignored;
        fs::remove_all(dir_, ignored);
    }

    std::unique_ptr<Store> open_ok(const Options& options = {}) {
        auto store = Store::open(path_, options);
        EXPECT_TRUE(store.has_value()) << store.error().message;
        return store.has_value() ? std::move(*store) : nullptr;
    }

    // A second connection straight through SQLite, to look at the file as another program would.
    std::string pragma(const std::string& name) {
        sqlite3* db = nullptr;
        EXPECT_EQ(sqlite3_open_v2(path_.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK);
        sqlite3_stmt* stmt = nullptr;
        std::string value;
        const std::string sql = "PRAGMA " + name;
        if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK &&
            sqlite3_step(stmt) == SQLITE_ROW) {
            value = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
        }
        sqlite3_finalize(stmt);
        sqlite3_close(db);
        return value;
    }

    fs::path dir_;
    std::string path_;
};

std::vector<Row> all_containers(Store& s) {
    auto rows = s.containers();
    EXPECT_TRUE(rows.has_value()) << rows.error().message;
    return rows.has_value() ? *rows : std::vector<Row>{};
}

std::vector<Row> all_execs(Store& s) {
    auto rows = s.execs();
    EXPECT_TRUE(rows.has_value()) << rows.error().message;
    return rows.has_value() ? *rows : std::vector<Row>{};
}

#define ASSERT_OK(expr)                                              \
    do {                                                             \
        auto status_ = (expr);                                       \
        ASSERT_TRUE(status_.has_value()) << status_.error().message; \
    } while (0)

TEST_F(StoreTest, NewDatabaseIsPrivateWalAtTheCurrentSchema) {
    auto store = open_ok();
    ASSERT_TRUE(store);
    struct stat st {};
    ASSERT_EQ(::stat(path_.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600U);
    EXPECT_EQ(pragma("journal_mode"), "wal");
    EXPECT_EQ(pragma("user_version"), std::to_string(kSchemaVersion));
    EXPECT_TRUE(all_containers(*store).empty());
}

TEST_F(StoreTest, ContainersRoundTripInInsertionOrder) {
    auto store = open_ok();
    ASSERT_TRUE(store);
    ASSERT_OK(store->put_container("c2", "/zeta", R"({"n":2})"));
    ASSERT_OK(store->put_container("c1", "/alpha", R"({"n":1})"));
    ASSERT_OK(store->put_container("c3", "/mid", "{\"unicode\":\"\xc3\xa9\"}"));
    EXPECT_EQ(all_containers(*store),
              (std::vector<Row>{{"c2", "/zeta", R"({"n":2})"},
                                {"c1", "/alpha", R"({"n":1})"},
                                {"c3", "/mid", "{\"unicode\":\"\xc3\xa9\"}"}}));
}

TEST_F(StoreTest, UpsertReplacesInPlace) {
    auto store = open_ok();
    ASSERT_TRUE(store);
    ASSERT_OK(store->put_container("a", "/a", "{}"));
    ASSERT_OK(store->put_container("b", "/b", "{}"));
    ASSERT_OK(store->put_container("a", "/renamed", R"({"v":2})"));
    EXPECT_EQ(all_containers(*store),
              (std::vector<Row>{{"a", "/renamed", R"({"v":2})"}, {"b", "/b", "{}"}}));
    // The old name is free again.
    ASSERT_OK(store->put_container("c", "/a", "{}"));
}

TEST_F(StoreTest, TakenNameIsAConflictNamingTheHolderAndWritesNothing) {
    auto store = open_ok();
    ASSERT_TRUE(store);
    ASSERT_OK(store->put_container("holder-id", "/web", "{}"));
    ASSERT_OK(store->put_container("other-id", "/db", R"({"old":true})"));

    auto fresh = store->put_container("new-id", "/web", "{}");
    ASSERT_FALSE(fresh.has_value());
    EXPECT_EQ(fresh.error().code, Errc::conflict);
    EXPECT_EQ(fresh.error().message,
              "store: put container new-id: name \"/web\" is already in use by container "
              "holder-id");

    auto rename = store->put_container("other-id", "/web", R"({"old":false})");
    ASSERT_FALSE(rename.has_value());
    EXPECT_EQ(rename.error().code, Errc::conflict);
    EXPECT_NE(rename.error().message.find("holder-id"), std::string::npos);

    EXPECT_EQ(all_containers(*store), (std::vector<Row>{{"holder-id", "/web", "{}"},
                                                        {"other-id", "/db", R"({"old":true})"}}));
}

TEST_F(StoreTest, EmptyNamesMayRepeat) {
    auto store = open_ok();
    ASSERT_TRUE(store);
    ASSERT_OK(store->put_container("a", "", "{}"));
    ASSERT_OK(store->put_container("b", "", "{}"));
    EXPECT_EQ(all_containers(*store).size(), 2U);
}

TEST_F(StoreTest, DeletingAContainerDeletesItsExecs) {
    auto store = open_ok();
    ASSERT_TRUE(store);
    ASSERT_OK(store->put_container("a", "/a", "{}"));
    ASSERT_OK(store->put_container("b", "/b", "{}"));
    ASSERT_OK(store->put_exec("e1", "a", R"({"cmd":["ls"]})"));
    ASSERT_OK(store->put_exec("e2", "b", "{}"));
    ASSERT_OK(store->put_exec("e3", "a", "{}"));
    ASSERT_OK(store->put_exec("e1", "a", R"({"cmd":["pwd"]})"));
    EXPECT_EQ(all_execs(*store),
              (std::vector<Row>{
                  {"e1", "a", R"({"cmd":["pwd"]})"}, {"e2", "b", "{}"}, {"e3", "a", "{}"}}));

    ASSERT_OK(store->delete_container("a"));
    EXPECT_EQ(all_containers(*store), (std::vector<Row>{{"b", "/b", "{}"}}));
    EXPECT_EQ(all_execs(*store), (std::vector<Row>{{"e2", "b", "{}"}}));

    ASSERT_OK(store->delete_exec("e2"));
    EXPECT_TRUE(all_execs(*store).empty());
    // Absent objects delete fine.
    ASSERT_OK(store->delete_container("a"));
    ASSERT_OK(store->delete_exec("e2"));
}

TEST_F(StoreTest, ReplacingAContainerKeepsItsExecs) {
    auto store = open_ok();
    ASSERT_TRUE(store);
    ASSERT_OK(store->put_container("a", "/a", "{}"));
    ASSERT_OK(store->put_exec("e1", "a", "{}"));
    ASSERT_OK(store->put_container("a", "/a", R"({"State":"running"})"));
    EXPECT_EQ(all_execs(*store).size(), 1U);
}

TEST_F(StoreTest, ExecOfAnUnknownContainerIsNotFound) {
    auto store = open_ok();
    ASSERT_TRUE(store);
    auto put = store->put_exec("e1", "ghost", "{}");
    ASSERT_FALSE(put.has_value());
    EXPECT_EQ(put.error().code, Errc::not_found);
    EXPECT_EQ(put.error().message, "store: put exec e1: no such container: ghost");
    EXPECT_TRUE(all_execs(*store).empty());
}

TEST_F(StoreTest, ImagesAreKeyedByReference) {
    auto store = open_ok();
    ASSERT_TRUE(store);
    ASSERT_OK(store->put_image("sha256:1", "busybox:latest", R"({"v":1})"));
    ASSERT_OK(store->put_image("sha256:1", "busybox:1.36", R"({"v":1})"));
    ASSERT_OK(store->put_image("sha256:2", "alpine:3", "{}"));
    // Retagging: the reference moves to another image and keeps its place.
    ASSERT_OK(store->put_image("sha256:2", "busybox:latest", R"({"v":2})"));
    ASSERT_OK(store->delete_image_ref("busybox:1.36"));
    ASSERT_OK(store->delete_image_ref("never-stored:tag"));
    auto images = store->images();
    ASSERT_TRUE(images.has_value()) << images.error().message;
    EXPECT_EQ(*images, (std::vector<Row>{{"sha256:2", "busybox:latest", R"({"v":2})"},
                                         {"sha256:2", "alpine:3", "{}"}}));
}

TEST_F(StoreTest, MetaValues) {
    auto store = open_ok();
    ASSERT_TRUE(store);
    auto absent = store->meta("daemon-id");
    ASSERT_TRUE(absent.has_value()) << absent.error().message;
    EXPECT_FALSE(absent->has_value());
    ASSERT_OK(store->put_meta("daemon-id", "one"));
    ASSERT_OK(store->put_meta("daemon-id", "two"));
    ASSERT_OK(store->put_meta("empty", ""));
    EXPECT_EQ(*store->meta("daemon-id"), std::optional<std::string>("two"));
    EXPECT_EQ(*store->meta("empty"), std::optional<std::string>(""));
}

TEST_F(StoreTest, DefaultConstructedViewsAreEmptyStringsNotNull) {
    auto store = open_ok();
    ASSERT_TRUE(store);
    ASSERT_OK(store->put_container("a", std::string_view(), std::string_view()));
    EXPECT_EQ(all_containers(*store), (std::vector<Row>{{"a", "", ""}}));
}

TEST_F(StoreTest, TransactionCommitsAllOrNothing) {
    auto store = open_ok();
    ASSERT_TRUE(store);
    ASSERT_OK(store->put_container("holder", "/taken", "{}"));

    ASSERT_OK(store->transaction([&]() -> Status {
        if (auto s = store->put_container("a", "/a", "{}"); !s) return s;
        return store->put_exec("e", "a", "{}");
    }));

    auto failed = store->transaction([&]() -> Status {
        if (auto s = store->put_container("b", "/b", "{}"); !s) return s;
        if (auto s = store->delete_container("a"); !s) return s;
        return store->put_container("c", "/taken", "{}");
    });
    ASSERT_FALSE(failed.has_value());
    EXPECT_EQ(failed.error().code, Errc::conflict);

    EXPECT_EQ(all_containers(*store),
              (std::vector<Row>{{"holder", "/taken", "{}"}, {"a", "/a", "{}"}}));
    EXPECT_EQ(all_execs(*store), (std::vector<Row>{{"e", "a", "{}"}}));
}

TEST_F(StoreTest, NestedTransactionErrorUndoesOnlyTheInnerWrites) {
    auto store = open_ok();
    ASSERT_TRUE(store);
    ASSERT_OK(store->transaction([&]() -> Status {
        if (auto s = store->put_container("outer", "/outer", "{}"); !s) return s;
        auto inner = store->transaction([&]() -> Status {
            if (auto s = store->put_container("inner", "/inner", "{}"); !s) return s;
            return make_error(Errc::invalid_argument, "changed my mind");
        });
        EXPECT_FALSE(inner.has_value());
        return ok();
    }));
    EXPECT_EQ(all_containers(*store), (std::vector<Row>{{"outer", "/outer", "{}"}}));
}

TEST_F(StoreTest, ReopenKeepsEverything) {
    {
        auto store = open_ok();
        ASSERT_TRUE(store);
        ASSERT_OK(store->put_container("a", "/a", R"({"x":1})"));
        ASSERT_OK(store->put_exec("e", "a", "{}"));
        ASSERT_OK(store->put_image("sha256:1", "busybox:latest", "{}"));
        ASSERT_OK(store->put_meta("k", "v"));
    }
    auto store = open_ok();
    ASSERT_TRUE(store);
    EXPECT_EQ(all_containers(*store), (std::vector<Row>{{"a", "/a", R"({"x":1})"}}));
    EXPECT_EQ(all_execs(*store), (std::vector<Row>{{"e", "a", "{}"}}));
    EXPECT_EQ(store->images()->size(), 1U);
    EXPECT_EQ(*store->meta("k"), std::optional<std::string>("v"));
    EXPECT_EQ(pragma("user_version"), std::to_string(kSchemaVersion));
}

// A writer that dies without closing (as the daemon would on SIGKILL): what it committed is in
// the WAL and is recovered by the next opener; its open transaction is not.
TEST_F(StoreTest, CommittedWritesSurviveAProcessThatDiesWithoutClosing) {
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        auto opened = Store::open(path_);
        if (!opened.has_value()) ::_exit(10);
        Store& store = **opened;
        if (!store.put_container("kept", "/kept", R"({"n":1})").has_value()) ::_exit(11);
        if (!store.put_exec("e", "kept", "{}").has_value()) ::_exit(12);
        (void)store.transaction([&]() -> Status {
            (void)store.put_container("lost", "/lost", "{}");
            ::_exit(0);
        });
        ::_exit(13);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status));
    ASSERT_EQ(WEXITSTATUS(status), 0);
    // Not checkpointed: the rows are only in the write-ahead log.
    std::error_code ec;
    EXPECT_GT(fs::file_size(path_ + "-wal", ec), 0U) << ec.message();

    auto store = open_ok();
    ASSERT_TRUE(store);
    EXPECT_EQ(all_containers(*store), (std::vector<Row>{{"kept", "/kept", R"({"n":1})"}}));
    EXPECT_EQ(all_execs(*store), (std::vector<Row>{{"e", "kept", "{}"}}));
    ASSERT_OK(store->put_container("after", "/after", "{}"));
}

TEST_F(StoreTest, AFileThatIsNotADatabaseIsRefusedAndLeftAlone) {
    std::string garbage;
    for (int i = 0; i < 512; ++i)
        garbage += "not sqlite ";
    {
        std::ofstream out(path_, std::ios::binary);
        out << garbage;
    }
    auto store = Store::open(path_);
    ASSERT_FALSE(store.has_value());
    EXPECT_EQ(store.error().code, Errc::internal);
    EXPECT_EQ(store.error().message, "store: open " + path_ + ": file is not a database");

    std::ifstream in(path_, std::ios::binary);
    const std::string after((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(after, garbage);
}

TEST_F(StoreTest, AShortGarbageFileIsRefused) {
    {
        std::ofstream out(path_, std::ios::binary);
        out << "hello";
    }
    auto store = Store::open(path_);
    ASSERT_FALSE(store.has_value());
    EXPECT_NE(store.error().message.find(path_), std::string::npos) << store.error().message;
}

TEST_F(StoreTest, ANewerSchemaIsRefusedNamingBothVersions) {
    ASSERT_TRUE(open_ok());
    EXPECT_EQ(pragma("user_version = 7"), "");
    EXPECT_EQ(pragma("user_version"), "7");
    auto store = Store::open(path_);
    ASSERT_FALSE(store.has_value());
    EXPECT_EQ(store.error().message, "store: open " + path_ +
                                         ": schema version 7 is newer than this build supports (" +
                                         std::to_string(kSchemaVersion) + ")");
    EXPECT_EQ(pragma("user_version"), "7");
}

TEST_F(StoreTest, AnExistingEmptyDatabaseIsMigrated) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "CREATE TABLE unrelated (x)", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
    auto store = open_ok();
    ASSERT_TRUE(store);
    ASSERT_OK(store->put_container("a", "/a", "{}"));
    EXPECT_EQ(pragma("user_version"), std::to_string(kSchemaVersion));
}

TEST_F(StoreTest, AMissingDirectoryIsAnErrorNamingThePath) {
    const std::string missing = (dir_ / "no" / "such" / "state.db").string();
    auto store = Store::open(missing);
    ASSERT_FALSE(store.has_value());
    EXPECT_NE(store.error().message.find("store: open " + missing), std::string::npos)
        << store.error().message;
}

// Another connection's write transaction makes a writer wait busy_timeout, then fail as
// unavailable; with a zero timeout it fails at once.
TEST_F(StoreTest, AWriterBlockedByAnotherIsUnavailable) {
    auto first = open_ok();
    auto second = open_ok(Options{std::chrono::milliseconds(0)});
    ASSERT_TRUE(first && second);
    Status blocked;
    auto tx = first->transaction([&]() -> Status {
        if (auto s = first->put_container("a", "/a", "{}"); !s) return s;
        blocked = second->put_container("b", "/b", "{}");
        return ok();
    });
    ASSERT_TRUE(tx.has_value()) << tx.error().message;
    ASSERT_FALSE(blocked.has_value());
    EXPECT_EQ(blocked.error().code, Errc::unavailable);
    EXPECT_EQ(blocked.error().message, "store: put container b: database is locked");
    // Once the first commits, the second writes and sees the first's row.
    ASSERT_OK(second->put_container("b", "/b", "{}"));
    EXPECT_EQ(all_containers(*second).size(), 2U);
}

}  // namespace
}  // namespace sockerless::store
