#pragma once
// The daemon's persistent state: one SQLite database in WAL mode (DESIGN.md §9). The engine
// serializes its objects to JSON itself; the store keeps each document with only the columns
// that uniqueness and lookups need (ids, container names, image references), so the engine's
// schema can change without a migration here.
//
// Durability: synchronous=NORMAL in WAL mode, so a committed write survives the daemon crashing
// (it is in the WAL file) but may be lost if the machine loses power before the next checkpoint;
// ECS task tags let a restarted daemon rebuild what was lost.
//
// Thread-compatible: one Store is used from one thread at a time. Several Stores (or processes)
// may open the same file; writers then wait up to busy_timeout and fail as unavailable.
//
// Errors: every SQLite failure becomes an Error whose message names the operation, the object
// and SQLite's message ("store: put container 4f1c...: disk I/O error"). SQLITE_BUSY and
// SQLITE_LOCKED are Errc::unavailable (retrying may help); everything else is Errc::internal,
// except the classified cases documented on each method.

#include <chrono>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/error.h"
#include "store/sqlite_handle.h"

namespace sockerless::store {

// One stored document. `name` is the container name for containers, the container id for
// execs and the reference for images.
struct Row {
    std::string id;
    std::string name;
    std::string doc;

    friend bool operator==(const Row&, const Row&) = default;
};

struct Options {
    // How long a write waits for another connection's write transaction before failing as
    // unavailable.
    std::chrono::milliseconds busy_timeout{5000};
};

// The schema version this build writes (PRAGMA user_version).
inline constexpr int kSchemaVersion = 1;

class Store {
public:
    // Opens or creates the database at `path` (a new file is created with mode 0600: documents
    // hold agent tokens), switches it to WAL, sets synchronous=NORMAL, foreign_keys=ON and the
    // busy timeout, and migrates the schema forward to kSchemaVersion. A file that is not a
    // SQLite database, or one whose schema is newer than this build knows, is an error naming
    // the path (and both versions).
    static Result<std::unique_ptr<Store>> open(const std::string& path);
    static Result<std::unique_ptr<Store>> open(const std::string& path, const Options& options);

    Store(const Store&) = delete;
    Store& operator=(const Store&) = delete;
    ~Store();

    // Inserts or replaces the container `id`, keeping its place in containers() order. `name` is
    // unique among non-empty names: another container holding it is Errc::conflict naming the
    // name and the holder's id, and nothing is written.
    Status put_container(std::string_view id, std::string_view name, std::string_view doc);
    // Deletes the container and every exec of it. An absent id is not an error.
    Status delete_container(std::string_view id);
    // Every container, in the order they were first put.
    Result<std::vector<Row>> containers();

    // Inserts or replaces the exec `id` of `container_id`; a container that is not stored is
    // Errc::not_found.
    Status put_exec(std::string_view id, std::string_view container_id, std::string_view doc);
    // An absent id is not an error.
    Status delete_exec(std::string_view id);
    // Every exec in the order first put; Row.name is the container id.
    Result<std::vector<Row>> execs();

    // Points the reference `ref` at image `id` (inserting or replacing by ref); several refs may
    // share an id.
    Status put_image(std::string_view id, std::string_view ref, std::string_view doc);
    // An absent ref is not an error.
    Status delete_image_ref(std::string_view ref);
    // Every reference in the order first put; Row.id is the image id, Row.name the reference.
    Result<std::vector<Row>> images();

    // Small daemon-wide values (for example the daemon's own id).
    Status put_meta(std::string_view key, std::string_view value);
    Result<std::optional<std::string>> meta(std::string_view key);

    // Runs fn inside BEGIN IMMEDIATE ... COMMIT: every write fn makes lands, or none does. fn
    // returning an error rolls back and returns that error; a failed COMMIT rolls back and is
    // returned. Calls nest (inner calls are savepoints: an inner error undoes only the inner
    // writes unless the outer fn passes it on).
    Status transaction(const std::function<Status()>& fn);

private:
    Store(std::string path, detail::Db db);

    Status configure(const Options& options);
    Status migrate();
    // transaction(), with `object` named in begin/commit errors.
    Status run_transaction(std::string_view object, const std::function<Status()>& fn);
    void rollback(bool outer) noexcept;
    Status exec_sql(const char* sql, std::string_view op, std::string_view object);
    // The cached prepared statement for `sql` (a string literal: the cache keys on its address).
    Result<sqlite3_stmt*> statement(const char* sql, std::string_view op, std::string_view object);
    Status write(const char* sql, std::initializer_list<std::string_view> params,
                 std::string_view op, std::string_view object);
    Result<std::vector<Row>> rows(const char* sql, std::string_view op);
    Error name_conflict(std::string_view id, std::string_view name, Error original);
    Error failure(int rc, std::string_view op, std::string_view object) const;

    std::string path_;
    detail::Db db_;
    // Prepared once per SQL text; declared after db_ so they are finalized before it closes.
    std::unordered_map<const char*, detail::Stmt> statements_;
    int depth_ = 0;  // nesting of transaction() calls
};

}  // namespace sockerless::store
