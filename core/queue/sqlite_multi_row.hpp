// Statements of many rows, for the writer's group commit. SQLite pays for each run of a
// statement besides its rows: binding and resetting it, opening and closing its cursors,
// finding the table's end (profiled on the writer: about a quarter of a single-row
// INSERT's time). A batch of webhook calls therefore stores its executions, messages and
// items in a few statements of up to kMaxRows rows, not in three statements per call, and
// a take leases its items in one UPDATE.
#pragma once

#include <array>
#include <memory>
#include <string>

#include "queue/sqlite_db.hpp"

namespace flowgate::queue::sqlite {

// `head`, then `row` once per row joined by ", ", then `tail`; one statement per row
// count, prepared at first use.
class MultiRow {
public:
    static constexpr int kMaxRows = 32;

    // `head` and `tail` may use the parameters ?1..?`fixed`, the same for every row; `row`
    // names its `params` parameters $1..$9 (each may appear more than once).
    MultiRow(Db& db, std::string head, std::string row, std::string tail, int fixed,
             int params);

    // The statement for `rows` rows (1..kMaxRows). Row r's parameter $p is bound at
    // param(r, p).
    Stmt& forRows(int rows);
    int param(int row, int p) const { return fixed_ + row * params_ + p; }

private:
    Db& db_;
    std::string head_, row_, tail_;
    int fixed_, params_;
    std::array<std::unique_ptr<Stmt>, kMaxRows> byRows_;
};

// INSERT OR FAIL INTO `into` VALUES `row`, `row`, ...
//
// OR FAIL: a row that breaks a constraint stops the statement and leaves the rows before
// it in place. The callers never keep them (they roll back the transaction), and it spares
// every run a statement journal: with the default (ABORT) SQLite copies each page the
// statement changes, so that it could undo the rows before (profiled: it took all that the
// multi-row statement saved).
class MultiRowInsert : public MultiRow {
public:
    // `into`: "t (a, b, c)"; `row`: one row's VALUES tuple, naming its `params`
    // parameters $1..$9.
    MultiRowInsert(Db& db, const std::string& into, std::string row, int params)
        : MultiRow(db, "INSERT OR FAIL INTO " + into + " VALUES ", std::move(row), "", 0,
                   params) {}
};

}  // namespace flowgate::queue::sqlite
