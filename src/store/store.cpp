#include "store/store.h"

#include <fcntl.h>
#include <sqlite3.h>

#include <algorithm>
#include <cerrno>
#include <iterator>
#include <limits>
#include <string>
#include <utility>

#include "base/fd.h"

namespace sockerless::store {

namespace detail {

void DbCloser::operator()(sqlite3* db) const noexcept {
    sqlite3_close_v2(db);
}

void StmtFinalizer::operator()(sqlite3_stmt* stmt) const noexcept {
    sqlite3_finalize(stmt);
}

}  // namespace detail

namespace {

// kMigrations[v] takes the schema from version v to v+1. Never edit an entry that has shipped:
// append one. Row order is insertion order through an explicit INTEGER PRIMARY KEY (seq), which
// VACUUM keeps (it may renumber implicit rowids); upserts update in place so a replaced
// document keeps its position.
constexpr const char* kMigrations[] = {
    R"sql(
CREATE TABLE containers (
    seq  INTEGER PRIMARY KEY,
    id   TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    doc  TEXT NOT NULL
);
CREATE UNIQUE INDEX containers_name ON containers(name) WHERE name <> '';
CREATE TABLE execs (
    seq          INTEGER PRIMARY KEY,
    id           TEXT NOT NULL UNIQUE,
    container_id TEXT NOT NULL REFERENCES containers(id) ON DELETE CASCADE,
    doc          TEXT NOT NULL
);
CREATE INDEX execs_container ON execs(container_id);
CREATE TABLE images (
    seq INTEGER PRIMARY KEY,
    ref TEXT NOT NULL UNIQUE,
    id  TEXT NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX images_id ON images(id);
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
)sql",
};
static_assert(std::size(kMigrations) == kSchemaVersion);

constexpr const char* kPutContainer =
    "INSERT INTO containers (id, name, doc) VALUES (?1, ?2, ?3) "
    "ON CONFLICT (id) DO UPDATE SET name = excluded.name, doc = excluded.doc";
constexpr const char* kNameHolder = "SELECT id FROM containers WHERE name = ?1 AND id <> ?2";
constexpr const char* kDeleteContainer = "DELETE FROM containers WHERE id = ?1";
constexpr const char* kContainers = "SELECT id, name, doc FROM containers ORDER BY seq";
constexpr const char* kPutExec =
    "INSERT INTO execs (id, container_id, doc) VALUES (?1, ?2, ?3) "
    "ON CONFLICT (id) DO UPDATE SET container_id = excluded.container_id, doc = excluded.doc";
constexpr const char* kDeleteExec = "DELETE FROM execs WHERE id = ?1";
constexpr const char* kExecs = "SELECT id, container_id, doc FROM execs ORDER BY seq";
constexpr const char* kPutImage =
    "INSERT INTO images (ref, id, doc) VALUES (?1, ?2, ?3) "
    "ON CONFLICT (ref) DO UPDATE SET id = excluded.id, doc = excluded.doc";
constexpr const char* kDeleteImageRef = "DELETE FROM images WHERE ref = ?1";
constexpr const char* kImages = "SELECT id, ref, doc FROM images ORDER BY seq";
constexpr const char* kPutMeta =
    "INSERT INTO meta (key, value) VALUES (?1, ?2) "
    "ON CONFLICT (key) DO UPDATE SET value = excluded.value";
constexpr const char* kMeta = "SELECT value FROM meta WHERE key = ?1";

constexpr std::string_view kMemory = ":memory:";

// A cached statement in use. On scope exit it is reset, which ends its implicit read
// transaction, and its bindings are cleared, so no cached statement keeps pointers into memory
// its caller has released.
class InUse {
public:
    explicit InUse(sqlite3_stmt* stmt) noexcept : stmt_(stmt) {}
    InUse(const InUse&) = delete;
    InUse& operator=(const InUse&) = delete;
    ~InUse() {
        sqlite3_reset(stmt_);
        sqlite3_clear_bindings(stmt_);
    }

private:
    sqlite3_stmt* stmt_;
};

// Binds params as ?1, ?2, ... without copying them (SQLITE_STATIC): InUse unbinds before the
// caller's views can dangle.
int bind_all(sqlite3_stmt* stmt, std::initializer_list<std::string_view> params) {
    int index = 1;
    for (std::string_view param : params) {
        // A default-constructed view has no data pointer, which SQLite would bind as NULL.
        const char* data = param.data() != nullptr ? param.data() : "";
        int rc = sqlite3_bind_text64(stmt, index++, data, param.size(), SQLITE_STATIC, SQLITE_UTF8);
        if (rc != SQLITE_OK) return rc;
    }
    return SQLITE_OK;
}

// Binds and steps to the end; SQLITE_DONE on success.
int run(sqlite3_stmt* stmt, std::initializer_list<std::string_view> params) {
    int rc = bind_all(stmt, params);
    if (rc != SQLITE_OK) return rc;
    do {
        rc = sqlite3_step(stmt);
    } while (rc == SQLITE_ROW);
    return rc;
}

std::string column(sqlite3_stmt* stmt, int col) {
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, col));
    if (text == nullptr) return {};
    return {text, static_cast<std::size_t>(sqlite3_column_bytes(stmt, col))};
}

Errc classify(int rc) {
    const int primary = rc & 0xff;
    return primary == SQLITE_BUSY || primary == SQLITE_LOCKED ? Errc::unavailable : Errc::internal;
}

std::string describe(std::string_view op, std::string_view object) {
    std::string text = "store: ";
    text.append(op);
    if (!object.empty()) text.append(" ").append(object);
    return text;
}

// The database file holds agent tokens and registry credentials: create it owner-only before
// SQLite does (SQLite gives its -wal and -shm files the database file's permissions).
Status create_private(const std::string& path) {
    if (path.empty() || path == kMemory) return ok();
    UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
    if (!fd) return errno_error(describe("open", path), errno);
    return ok();
}

}  // namespace

Store::Store(std::string path, detail::Db db) : path_(std::move(path)), db_(std::move(db)) {}

Store::~Store() = default;

Result<std::unique_ptr<Store>> Store::open(const std::string& path) {
    return open(path, Options{});
}

Result<std::unique_ptr<Store>> Store::open(const std::string& path, const Options& options) {
    if (Status created = create_private(path); !created) return created.error();
    sqlite3* raw = nullptr;
    const int rc =
        sqlite3_open_v2(path.c_str(), &raw,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    std::unique_ptr<Store> store(new Store(path, detail::Db(raw)));
    if (rc != SQLITE_OK) return store->failure(rc, "open", path);
    if (Status s = store->configure(options); !s) return s.error();
    if (Status s = store->migrate(); !s) return s.error();
    return store;
}

Status Store::configure(const Options& options) {
    sqlite3* db = db_.get();
    sqlite3_extended_result_codes(db, 1);
    using Rep = std::chrono::milliseconds::rep;
    const Rep timeout =
        std::clamp<Rep>(options.busy_timeout.count(), 0, std::numeric_limits<int>::max());
    sqlite3_busy_timeout(db, static_cast<int>(timeout));

    // The first statement reads the file header, so this is also where a file that is not a
    // database is refused. journal_mode answers with the mode in force afterwards.
    sqlite3_stmt* raw = nullptr;
    int rc = sqlite3_prepare_v2(db, "PRAGMA journal_mode = WAL", -1, &raw, nullptr);
    detail::Stmt pragma(raw);
    if (rc == SQLITE_OK) rc = sqlite3_step(pragma.get());
    if (rc != SQLITE_ROW) return failure(rc, "open", path_);
    const std::string mode = column(pragma.get(), 0);
    pragma.reset();
    if (mode != "wal" && path_ != kMemory) {
        return make_error(Errc::internal,
                          describe("open", path_) + ": journal mode is " + mode + ", not wal");
    }
    return exec_sql("PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON", "open", path_);
}

Status Store::migrate() {
    return run_transaction(path_, [this]() -> Status {
        sqlite3_stmt* raw = nullptr;
        int rc = sqlite3_prepare_v2(db_.get(), "PRAGMA user_version", -1, &raw, nullptr);
        detail::Stmt pragma(raw);
        if (rc == SQLITE_OK) rc = sqlite3_step(pragma.get());
        if (rc != SQLITE_ROW) return failure(rc, "read schema version of", path_);
        const int version = sqlite3_column_int(pragma.get(), 0);
        pragma.reset();
        if (version > kSchemaVersion) {
            return make_error(Errc::internal, describe("open", path_) + ": schema version " +
                                                  std::to_string(version) +
                                                  " is newer than this build supports (" +
                                                  std::to_string(kSchemaVersion) + ")");
        }
        for (int v = std::max(version, 0); v < kSchemaVersion; ++v) {
            const std::string op = "migrate to schema version " + std::to_string(v + 1);
            if (Status s = exec_sql(kMigrations[v], op, path_); !s) return s;
            const std::string stamp = "PRAGMA user_version = " + std::to_string(v + 1);
            if (Status s = exec_sql(stamp.c_str(), op, path_); !s) return s;
        }
        return ok();
    });
}

Status Store::put_container(std::string_view id, std::string_view name, std::string_view doc) {
    constexpr std::string_view kOp = "put container";
    auto stmt = statement(kPutContainer, kOp, id);
    if (!stmt) return stmt.error();
    Error failed;
    {
        InUse in_use(*stmt);
        const int rc = run(*stmt, {id, name, doc});
        if (rc == SQLITE_DONE) return ok();
        failed = failure(rc, kOp, id);
        if (rc != SQLITE_CONSTRAINT_UNIQUE) return failed;
    }
    // The only unique column an upsert by id can collide on is the name.
    return name_conflict(id, name, std::move(failed));
}

Error Store::name_conflict(std::string_view id, std::string_view name, Error original) {
    auto stmt = statement(kNameHolder, "put container", id);
    if (!stmt) return original;
    InUse in_use(*stmt);
    if (bind_all(*stmt, {name, id}) != SQLITE_OK || sqlite3_step(*stmt) != SQLITE_ROW) {
        return original;
    }
    return make_error(Errc::conflict, describe("put container", id) + ": name \"" +
                                          std::string(name) + "\" is already in use by container " +
                                          column(*stmt, 0));
}

Status Store::delete_container(std::string_view id) {
    return write(kDeleteContainer, {id}, "delete container", id);
}

Result<std::vector<Row>> Store::containers() {
    return rows(kContainers, "list containers");
}

Status Store::put_exec(std::string_view id, std::string_view container_id, std::string_view doc) {
    constexpr std::string_view kOp = "put exec";
    auto stmt = statement(kPutExec, kOp, id);
    if (!stmt) return stmt.error();
    InUse in_use(*stmt);
    const int rc = run(*stmt, {id, container_id, doc});
    if (rc == SQLITE_DONE) return ok();
    if (rc == SQLITE_CONSTRAINT_FOREIGNKEY) {
        return make_error(Errc::not_found,
                          describe(kOp, id) + ": no such container: " + std::string(container_id));
    }
    return failure(rc, kOp, id);
}

Status Store::delete_exec(std::string_view id) {
    return write(kDeleteExec, {id}, "delete exec", id);
}

Result<std::vector<Row>> Store::execs() {
    return rows(kExecs, "list execs");
}

Status Store::put_image(std::string_view id, std::string_view ref, std::string_view doc) {
    return write(kPutImage, {ref, id, doc}, "put image", ref);
}

Status Store::delete_image_ref(std::string_view ref) {
    return write(kDeleteImageRef, {ref}, "delete image", ref);
}

Result<std::vector<Row>> Store::images() {
    return rows(kImages, "list images");
}

Status Store::put_meta(std::string_view key, std::string_view value) {
    return write(kPutMeta, {key, value}, "put meta", key);
}

Result<std::optional<std::string>> Store::meta(std::string_view key) {
    constexpr std::string_view kOp = "get meta";
    auto stmt = statement(kMeta, kOp, key);
    if (!stmt) return stmt.error();
    InUse in_use(*stmt);
    int rc = bind_all(*stmt, {key});
    if (rc == SQLITE_OK) rc = sqlite3_step(*stmt);
    if (rc == SQLITE_ROW) return std::optional<std::string>(column(*stmt, 0));
    if (rc == SQLITE_DONE) return std::optional<std::string>();
    return failure(rc, kOp, key);
}

Status Store::transaction(const std::function<Status()>& fn) {
    return run_transaction({}, fn);
}

Status Store::run_transaction(std::string_view object, const std::function<Status()>& fn) {
    const bool outer = depth_ == 0;
    if (Status s =
            exec_sql(outer ? "BEGIN IMMEDIATE" : "SAVEPOINT nested", "begin transaction", object);
        !s) {
        return s;
    }
    // Undoes the transaction unless it committed, also if fn throws: the connection must not
    // be left inside an open transaction.
    class Scope {
    public:
        Scope(Store& store, bool outer) : store_(store), outer_(outer) { ++store_.depth_; }
        Scope(const Scope&) = delete;
        Scope& operator=(const Scope&) = delete;
        ~Scope() {
            --store_.depth_;
            if (!committed_) store_.rollback(outer_);
        }
        void committed() { committed_ = true; }

    private:
        Store& store_;
        bool outer_;
        bool committed_ = false;
    } scope(*this, outer);

    if (Status result = fn(); !result) return result;
    if (Status s = exec_sql(outer ? "COMMIT" : "RELEASE nested", "commit transaction", object);
        !s) {
        return s;
    }
    scope.committed();
    return ok();
}

void Store::rollback(bool outer) noexcept {
    // After some errors (SQLITE_FULL, SQLITE_IOERR, SQLITE_NOMEM...) SQLite has already rolled
    // the whole transaction back; there is nothing left to undo then.
    if (sqlite3_get_autocommit(db_.get()) != 0) return;
    sqlite3_exec(db_.get(), outer ? "ROLLBACK" : "ROLLBACK TO nested; RELEASE nested", nullptr,
                 nullptr, nullptr);
}

Status Store::exec_sql(const char* sql, std::string_view op, std::string_view object) {
    const int rc = sqlite3_exec(db_.get(), sql, nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) return failure(rc, op, object);
    return ok();
}

Result<sqlite3_stmt*> Store::statement(const char* sql, std::string_view op,
                                       std::string_view object) {
    if (auto it = statements_.find(sql); it != statements_.end()) return it->second.get();
    sqlite3_stmt* raw = nullptr;
    const int rc = sqlite3_prepare_v3(db_.get(), sql, -1, SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
    detail::Stmt owned(raw);
    if (rc != SQLITE_OK) return failure(rc, op, object);
    sqlite3_stmt* stmt = owned.get();
    statements_.emplace(sql, std::move(owned));
    return stmt;
}

Status Store::write(const char* sql, std::initializer_list<std::string_view> params,
                    std::string_view op, std::string_view object) {
    auto stmt = statement(sql, op, object);
    if (!stmt) return stmt.error();
    InUse in_use(*stmt);
    const int rc = run(*stmt, params);
    if (rc != SQLITE_DONE) return failure(rc, op, object);
    return ok();
}

Result<std::vector<Row>> Store::rows(const char* sql, std::string_view op) {
    auto stmt = statement(sql, op, {});
    if (!stmt) return stmt.error();
    InUse in_use(*stmt);
    std::vector<Row> out;
    int rc = SQLITE_OK;
    while ((rc = sqlite3_step(*stmt)) == SQLITE_ROW) {
        out.push_back(Row{column(*stmt, 0), column(*stmt, 1), column(*stmt, 2)});
    }
    if (rc != SQLITE_DONE) return failure(rc, op, {});
    return out;
}

Error Store::failure(int rc, std::string_view op, std::string_view object) const {
    // The connection's message is the detailed one ("UNIQUE constraint failed: ..."), but only
    // if it belongs to this failure; otherwise the generic text of the code.
    sqlite3* db = db_.get();
    const char* detail = db != nullptr && sqlite3_extended_errcode(db) == rc ? sqlite3_errmsg(db)
                                                                             : sqlite3_errstr(rc);
    return make_error(classify(rc), describe(op, object) + ": " + detail);
}

}  // namespace sockerless::store
