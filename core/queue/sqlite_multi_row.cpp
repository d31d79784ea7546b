#include "queue/sqlite_multi_row.hpp"

#include <stdexcept>

namespace flowgate::queue::sqlite {

MultiRowInsert::MultiRowInsert(Db& db, const std::string& into, std::string row, int params)
    : db_(db), head_("INSERT OR FAIL INTO " + into), row_(std::move(row)), params_(params) {
    if (params < 1 || params > 9) throw std::invalid_argument("MultiRowInsert: 1-9 parameters");
}

Stmt& MultiRowInsert::forRows(int rows) {
    if (rows < 1 || rows > kMaxRows) throw std::out_of_range("MultiRowInsert: row count");
    auto& stmt = byRows_[static_cast<std::size_t>(rows - 1)];
    if (!stmt) {
        std::string sql = head_ + " VALUES ";
        for (int r = 0; r < rows; ++r) {
            if (r > 0) sql += ", ";
            for (std::size_t i = 0; i < row_.size(); ++i) {
                if (row_[i] == '$' && i + 1 < row_.size() && row_[i + 1] >= '1' &&
                    row_[i + 1] <= '9') {
                    sql += '?' + std::to_string(param(r, row_[i + 1] - '0'));
                    ++i;
                } else {
                    sql += row_[i];
                }
            }
        }
        stmt = std::make_unique<Stmt>(db_, sql.c_str());
    }
    return *stmt;
}

}  // namespace flowgate::queue::sqlite
