// Reads of the execution history (queue/execution_history.hpp) on the queue's read
// connection. Private to the queue library; the caller serializes use of the connection.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "queue/execution_history.hpp"
#include "queue/sqlite_db.hpp"

namespace flowgate::queue {

ExecutionPage readExecutions(sqlite::Db& db, const ExecutionQuery& query);
std::optional<ExecutionDetail> readExecution(sqlite::Db& db, const std::string& requestId);
std::map<std::string, FlowActivity> readFlowActivity(sqlite::Db& db);

}  // namespace flowgate::queue
