// The SQL of the queue's data path, prepared once per connection.
#include "queue/sqlite_queue_impl.hpp"

namespace flowgate::queue {

WriteStatements::WriteStatements(sqlite::Db& db)
    : begin(db, "BEGIN IMMEDIATE"),
      commit(db, "COMMIT"),
      rollback(db, "ROLLBACK"),
      savepoint(db, "SAVEPOINT op"),
      releaseSavepoint(db, "RELEASE op"),
      rollbackToSavepoint(db, "ROLLBACK TO op"),
      insertItem(db,
                 "INSERT INTO work_items (flow_id, execution_id, step_id, message, "
                 "failed_attempts, available_at_ms, created_at_ms) "
                 "VALUES (?1, ?2, ?3, ?4, 0, ?5, ?5)"),
      // ORDER BY matches the index (available_at_ms, then rowid), so no sort step.
      // Items of paused flows are skipped where they are, so a resume finds them in
      // their original order.
      selectReady(db, (std::string("SELECT id, flow_id, execution_id, step_id, message, "
                                   "failed_attempts, lease_token IS NOT NULL, leased_at_ms "
                                   "FROM work_items WHERE available_at_ms <= ?1 AND ") +
                       kNotPausedCondition + " ORDER BY available_at_ms, id LIMIT ?2")
                          .c_str()),
      // Taking a parked item (its timeout came) ends its wait: a late resume fails.
      // The attempt is counted here, in the lease's own commit, so a step that kills
      // its process, hangs or loses its lease has used it up; settle() gives it back
      // when the attempt turns out not to count (release, wait, retryLater).
      leaseItem(db,
                "UPDATE work_items SET lease_token = ?1, available_at_ms = ?2, "
                "wait_token = NULL, failed_attempts = failed_attempts + 1, "
                "leased_at_ms = ?4 WHERE id = ?3"),
      // Read first (selectLeased): the message's size keeps the backlog in bytes
      // exact. No RETURNING: SQLite buffers its rows in an ephemeral table, which
      // costs more than a lookup of the row.
      deleteLeased(db, "DELETE FROM work_items WHERE id = ?1 AND lease_token = ?2"),
      messageBytes(db, "SELECT length(CAST(message AS BLOB)) FROM work_items WHERE id = ?1"),
      // A leased item before its outcome changes it: what the execution history
      // records of it (leasedOf()), and its message's size.
      selectLeased(db,
                   "SELECT execution_id, step_id, failed_attempts, leased_at_ms, "
                   "length(CAST(message AS BLOB)) "
                   "FROM work_items WHERE id = ?1 AND lease_token = ?2"),
      // ?1 is 0 for a failed attempt (counted at take) and -1 to give it back.
      retryLeased(db,
                  "UPDATE work_items SET failed_attempts = failed_attempts + ?1, "
                  "available_at_ms = ?2, lease_token = NULL, "
                  "last_error = COALESCE(?3, last_error) "
                  "WHERE id = ?4 AND lease_token = ?5"),
      releaseLeased(db,
                    "UPDATE work_items SET available_at_ms = ?1, lease_token = NULL, "
                    "failed_attempts = failed_attempts - 1 "
                    "WHERE id = ?2 AND lease_token = ?3"),
      parkLeased(db,
                 "UPDATE work_items SET message = ?1, available_at_ms = ?2, "
                 "lease_token = NULL, wait_token = ?3, "
                 "failed_attempts = failed_attempts - 1 "
                 "WHERE id = ?4 AND lease_token = ?5"),
      resumeParked(db,
                   "UPDATE work_items SET message = ?1, available_at_ms = ?2, "
                   "wait_token = NULL "
                   "WHERE id = ?3 AND wait_token = ?4 AND lease_token IS NULL"),
      insertDeadLetter(db,
                       "INSERT INTO dead_letters (item_id, flow_id, execution_id, "
                       "step_id, message, error, attempts, failed_at_ms, created_at_ms) "
                       "SELECT id, flow_id, execution_id, step_id, message, "
                       "COALESCE(?1, last_error, ''), failed_attempts, ?2, "
                       "created_at_ms FROM work_items WHERE id = ?3 AND lease_token = ?4"),
      earliestFuture(db,
                     "SELECT MIN(available_at_ms) FROM work_items "
                     "WHERE available_at_ms > ?1"),
      selectDelivery(db, "SELECT execution_id, expires_at_ms FROM deliveries WHERE key = ?1"),
      upsertDelivery(db,
                     "INSERT INTO deliveries (key, execution_id, expires_at_ms) "
                     "VALUES (?1, ?2, ?3) ON CONFLICT (key) DO UPDATE SET "
                     "execution_id = excluded.execution_id, "
                     "expires_at_ms = excluded.expires_at_ms"),
      purgeDeliveries(db,
                      "DELETE FROM deliveries WHERE key IN (SELECT key FROM deliveries "
                      "WHERE expires_at_ms <= ?1 ORDER BY expires_at_ms LIMIT ?2)") {}

ReadStatements::ReadStatements(sqlite::Db& db)
    : countLeased(db, "SELECT COUNT(*) FROM work_items "
                      "WHERE available_at_ms > ?1 AND lease_token IS NOT NULL"),
      hasExecution(db, "SELECT EXISTS (SELECT 1 FROM work_items WHERE execution_id = ?1)"),
      countWaiting(db, "SELECT COUNT(*) FROM work_items WHERE wait_token IS NOT NULL"),
      selectWaiting(db, "SELECT id, flow_id, step_id, message, wait_token FROM work_items "
                        "WHERE execution_id = ?1 AND wait_token IS NOT NULL ORDER BY id") {}

}  // namespace flowgate::queue
