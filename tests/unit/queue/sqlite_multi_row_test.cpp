// MultiRow and MultiRowInsert: the writer's statements of many rows.
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
using flowgate::queue::sqlite::MultiRow;
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

TEST_CASE("a multi-row list binds the shared parameters once and each row's after them",
          "[queue]") {
    flowgate::test::TempDir dir;
    Db db(dir.path() / "t.db");
    db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT NOT NULL, b INTEGER, c INTEGER)");
    for (int id = 1; id <= 40; ++id)
        db.exec(("INSERT INTO t (id, a) VALUES (" + std::to_string(id) + ", 'x')").c_str());
    // The shape of the queue's lease: ?1 and ?2 for every row, one id per row.
    MultiRow update(db, "UPDATE OR FAIL t SET b = ?1, c = ?2 WHERE id IN (", "$1", ")", 2, 1);
    CHECK(update.param(0, 1) == 3);
    CHECK(update.param(4, 1) == 7);
    {
        Stmt::Use use(update.forRows(3));
        use->bind(1, std::int64_t{7}).bind(2, std::int64_t{8});
        for (int r = 0; r < 3; ++r) use->bind(update.param(r, 1), std::int64_t{2 + 10 * r});
        use->run();
        CHECK(db.changes() == 3);
    }
    {
        Stmt::Use use(update.forRows(MultiRow::kMaxRows));
        use->bind(1, std::int64_t{9}).bind(2, std::int64_t{9});
        for (int r = 0; r < MultiRow::kMaxRows; ++r)
            use->bind(update.param(r, 1), std::int64_t{r + 5});  // ids 5..36
        use->run();
        CHECK(db.changes() == MultiRow::kMaxRows);
    }
    Stmt select(db, "SELECT group_concat(id, ',') FROM (SELECT id FROM t WHERE b = 7 AND c = 8 "
                    "ORDER BY id)");
    Stmt::Use use(select);
    REQUIRE(use->step());
    CHECK(use->columnText(0) == "2");  // 12 and 22 were taken over by the second statement
    CHECK(db.queryInt("SELECT COUNT(*) FROM t WHERE b = 9 AND c = 9") == 32);
    CHECK(db.queryInt("SELECT MIN(id) FROM t WHERE b = 9") == 5);
    CHECK(db.queryInt("SELECT MAX(id) FROM t WHERE b = 9") == 36);
    CHECK(db.queryInt("SELECT COUNT(*) FROM t WHERE b IS NULL") == 40 - 33);
}
