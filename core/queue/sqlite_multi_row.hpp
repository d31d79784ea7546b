// One INSERT of many rows, for the writer's group commit. SQLite pays for each run of a
// statement besides its rows: binding and resetting it, opening and closing its cursors,
// finding the table's end (profiled on the writer: about a quarter of a single-row
// INSERT's time). A batch of webhook calls therefore stores its executions, messages and
// items in a few statements of up to kMaxRows rows, not in three statements per call.
#pragma once

#include <array>
#include <memory>
#include <string>

#include "queue/sqlite_db.hpp"

namespace flowgate::queue::sqlite {

class MultiRowInsert {
public:
    static constexpr int kMaxRows = 32;

    // `into`: "t (a, b, c)"; `row`: one row's VALUES tuple, naming its `params`
    // parameters $1..$9 (each may appear more than once).
    //
    // OR FAIL: a row that breaks a constraint stops the statement and leaves the rows
    // before it in place. The callers never keep them (they roll back the transaction),
    // and it spares every run a statement journal: with the default (ABORT) SQLite copies
    // each page the statement changes, so that it could undo the rows before (profiled:
    // it took all that the multi-row statement saved).
    MultiRowInsert(Db& db, const std::string& into, std::string row, int params);

    // The statement for `rows` rows (1..kMaxRows), prepared at first use. Row r's
    // parameter $p is bound at param(r, p).
    Stmt& forRows(int rows);
    int param(int row, int p) const { return row * params_ + p; }

private:
    Db& db_;
    std::string head_;
    std::string row_;
    int params_;
    std::array<std::unique_ptr<Stmt>, kMaxRows> byRows_;
};

}  // namespace flowgate::queue::sqlite
