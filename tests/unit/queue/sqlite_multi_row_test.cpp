// MultiRowInsert: the writer's INSERT of many rows in one statement.
#include <catch2/catch.hpp>

#include <sqlite3.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "queue/sqlite_db.hpp"
#include "queue/sqlite_multi_row.hpp"
#include "support/temp_dir.hpp"

using flowgate::queue::sqlite::Db;
using flowgate::queue::sqlite::Error;
using flowgate::queue::sqlite::MultiRowInsert;
using flowgate::queue::sqlite::Stmt;

namespace {

std::string rowsOf(Db& db) {
    Stmt select(db,
                "SELECT group_concat(id || ':' || a || ':' || b || ':' || c, ' ') "
                "FROM (SELECT * FROM t ORDER BY id)");
    Stmt::Use use(select);
    return use->step() && !use->columnIsNull(0) ? use->columnText(0) : "";
}

}  // namespace

TEST_CASE("a multi-row insert binds each row's parameters in its own place", "[queue]") {
    flowgate::test::TempDir dir;
    Db db(dir.path() / "t.db");
    db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT NOT NULL, b INTEGER, c INTEGER)");
    // $2 twice: a parameter may appear more than once in a row.
    MultiRowInsert insert(db, "t (a, b, c)", "($1, $2, $2 + 1)", 2);

    // Bound text is not copied: it must outlive the statement's run.
    std::vector<std::string> names;
    for (int r = 0; r < MultiRowInsert::kMaxRows; ++r) names.push_back("r" + std::to_string(r));
    for (const int rows : {1, 3, MultiRowInsert::kMaxRows}) {
        Stmt::Use use(insert.forRows(rows));
        for (int r = 0; r < rows; ++r)
            use->bind(insert.param(r, 1), names[r]).bind(insert.param(r, 2), std::int64_t{10 * r});
        use->run();
        // One statement's rows take consecutive rowids (the queue relies on it).
        CHECK(db.changes() == rows);
    }
    const std::string rows = rowsOf(db);
    INFO(rows);
    CHECK(rows.rfind("1:r0:0:1 2:r0:0:1 3:r1:10:11 4:r2:20:21 5:r0:0:1 6:r1:10:11 ", 0) == 0);
    CHECK(rows.find("36:r31:310:311") != std::string::npos);
    CHECK(db.lastInsertRowid() == 36);

    CHECK_THROWS_AS(insert.forRows(0), std::out_of_range);
    CHECK_THROWS_AS(insert.forRows(MultiRowInsert::kMaxRows + 1), std::out_of_range);
}

TEST_CASE("a multi-row insert stops at a row that breaks a constraint, and the caller rolls "
          "back",
          "[queue]") {
    flowgate::test::TempDir dir;
    Db db(dir.path() / "t.db");
    db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT NOT NULL UNIQUE, b INTEGER, "
            "c INTEGER); INSERT INTO t (a) VALUES ('taken');");
    MultiRowInsert insert(db, "t (a, b)", "($1, $2)", 2);
    db.exec("BEGIN");
    {
        Stmt::Use use(insert.forRows(3));
        use->bind(insert.param(0, 1), "new")
            .bind(insert.param(1, 1), "taken")
            .bind(insert.param(2, 1), "other");
        try {
            use->run();
            FAIL("the duplicate went through");
        } catch (const Error& e) {
            CHECK(e.primaryCode() == SQLITE_CONSTRAINT);
        }
    }
    // OR FAIL: the row before the duplicate stays, the one after was never tried, and the
    // transaction stays open for the caller (the queue's writer) to roll back.
    CHECK(!db.autocommit());
    CHECK(db.queryInt("SELECT COUNT(*) FROM t") == 2);
    CHECK(db.queryInt("SELECT COUNT(*) FROM t WHERE a = 'other'") == 0);
    db.exec("ROLLBACK");
    CHECK(db.queryInt("SELECT COUNT(*) FROM t") == 1);
}
