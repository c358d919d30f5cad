#pragma once
// Owner types for SQLite handles. Only forward declarations of the C API types appear here, so
// the store's public header does not pull in <sqlite3.h>.

#include <memory>

struct sqlite3;
struct sqlite3_stmt;

namespace sockerless::store::detail {

struct DbCloser {
    // sqlite3_close_v2: closes even with statements outstanding (they are finalized later).
    void operator()(sqlite3* db) const noexcept;
};
using Db = std::unique_ptr<sqlite3, DbCloser>;

struct StmtFinalizer {
    void operator()(sqlite3_stmt* stmt) const noexcept;
};
using Stmt = std::unique_ptr<sqlite3_stmt, StmtFinalizer>;

}  // namespace sockerless::store::detail
