// What the admin API reads from the shared state: the execution history and the dead
// letters, in the shapes the embedded queue gives them (queue/execution_history.hpp,
// queue/queue_admin.hpp). Private to the state library.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "queue/execution_history.hpp"
#include "queue/queue_admin.hpp"
#include "state/pg_connection.hpp"

namespace flowgate::state {

queue::ExecutionPage readExecutions(pg::Pool& pool, const queue::ExecutionQuery& query);
std::optional<queue::ExecutionDetail> readExecution(pg::Pool& pool, const std::string& requestId);
std::map<std::string, queue::FlowActivity> readFlowActivity(pg::Pool& pool);
queue::DeadLetterPage readDeadLetterPage(pg::Pool& pool, const queue::DeadLetterQuery& query);

// The dead-letter filter as SQL over $1 flow, $2 since, $3 until, $4 before (NULL: no
// filter), and those four parameters; replays use it too.
inline constexpr const char* kDeadLetterFilter =
    "($1::text IS NULL OR flow_id = $1::text) AND ($2::bigint IS NULL OR failed_at_ms >= $2::bigint) "
    "AND ($3::bigint IS NULL OR failed_at_ms < $3::bigint) AND ($4::bigint IS NULL OR seq < $4::bigint)";
std::vector<std::optional<std::string>> deadLetterFilterParams(const queue::DeadLetterQuery& query);

}  // namespace flowgate::state
