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
      // ORDER BY matches the index (paused = 0, then available_at_ms, then rowid), so no
      // sort step; LEFT JOIN keeps work_items the outer loop, the message one primary-key
      // lookup per item (kItemMessage). Items of paused flows are in the other half of the
      // index, in their original order for the resume.
      selectReady(db, (std::string("SELECT w.id, w.flow_id, w.execution_id, w.step_id, ") +
                       kItemMessage +
                       ", w.failed_attempts, w.lease_token IS NOT NULL, "
                       "w.leased_at_ms FROM work_items w " +
                       kItemMessageJoin +
                       " WHERE w.paused = 0 AND w.available_at_ms <= ?1 "
                       "ORDER BY w.available_at_ms, w.id LIMIT ?2")
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
      // costs more than a lookup of the row (measured with the stepprof shim at 64
      // connections: DELETE ... RETURNING 6.9 us per settled item, selectLeased +
      // DELETE 3.9 us).
      deleteLeased(db, "DELETE FROM work_items WHERE id = ?1 AND lease_token = ?2"),
      // Only for an item with a message of its own (message_seq IS NULL).
      deleteMessage(db, "DELETE FROM work_item_messages WHERE item_id = ?1"),
      messageBytes(db, "SELECT message_bytes FROM work_items WHERE id = ?1"),
      // A leased item before its outcome changes it: what the execution history
      // records of it, and where its message is and how big (leasedOf()).
      selectLeased(db,
                   "SELECT execution_id, step_id, failed_attempts, leased_at_ms, "
                   "execution_seq, message_seq IS NOT NULL, message_bytes "
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
      // Parking and resuming replace the message too (updateMessage, once matched): the
      // item then has a row of its own, also if it shared its execution's message.
      parkLeased(db,
                 "UPDATE work_items SET available_at_ms = ?1, "
                 "lease_token = NULL, wait_token = ?2, "
                 "failed_attempts = failed_attempts - 1, "
                 "message_seq = NULL, message_bytes = ?5 "
                 "WHERE id = ?3 AND lease_token = ?4"),
      resumeParked(db,
                   "UPDATE work_items SET available_at_ms = ?1, wait_token = NULL, "
                   "message_seq = NULL, message_bytes = ?4 "
                   "WHERE id = ?2 AND wait_token = ?3 AND lease_token IS NULL"),
      updateMessage(db,
                    "INSERT INTO work_item_messages (item_id, message) VALUES (?2, ?1) "
                    "ON CONFLICT (item_id) DO UPDATE SET message = excluded.message"),
      // The dead letter keeps a copy of its own: history pruning may delete the
      // execution's message long before an operator replays the letter.
      insertDeadLetter(db, (std::string("INSERT INTO dead_letters (item_id, flow_id, "
                                        "execution_id, step_id, message, error, attempts, "
                                        "failed_at_ms, created_at_ms) "
                                        "SELECT w.id, w.flow_id, w.execution_id, w.step_id, ") +
                            kItemMessage +
                            ", COALESCE(?1, w.last_error, ''), w.failed_attempts, ?2, "
                            "w.created_at_ms FROM work_items w " +
                            kItemMessageJoin + " WHERE w.id = ?3 AND w.lease_token = ?4")
                               .c_str()),
      earliestFuture(db,
                     "SELECT MIN(available_at_ms) FROM work_items "
                     "WHERE paused = 0 AND available_at_ms > ?1"),
      selectDelivery(db, "SELECT execution_id, expires_at_ms FROM deliveries WHERE key = ?1"),
      upsertDelivery(db,
                     "INSERT INTO deliveries (key, execution_id, expires_at_ms) "
                     "VALUES (?1, ?2, ?3) ON CONFLICT (key) DO UPDATE SET "
                     "execution_id = excluded.execution_id, "
                     "expires_at_ms = excluded.expires_at_ms"),
      purgeDeliveries(db,
                      "DELETE FROM deliveries WHERE key IN (SELECT key FROM deliveries "
                      "WHERE expires_at_ms <= ?1 ORDER BY expires_at_ms LIMIT ?2)"),
      insertItems(db,
                  "work_items (flow_id, execution_id, step_id, failed_attempts, "
                  "available_at_ms, created_at_ms, execution_seq, message_seq, message_bytes, "
                  "paused)",
                  "($1, $2, $3, 0, $4, $4, $5, $6, $7, " + pausedFlow("$1") + ")", 7),
      insertMessages(db, "work_item_messages (item_id, message)", "($1, $2)", 2) {}

ReadStatements::ReadStatements(sqlite::Db& db)
    // paused IN (0, 1) holds for every row; it lets SQLite range over work_items_ready,
    // which the mark leads, instead of scanning the table.
    : countLeased(db, "SELECT COUNT(*) FROM work_items "
                      "WHERE paused IN (0, 1) AND available_at_ms > ?1 "
                      "AND lease_token IS NOT NULL"),
      hasExecution(db, ("SELECT " +
                        itemsOfExecution("(SELECT seq FROM executions WHERE request_id = ?1)"))
                           .c_str()),
      countWaiting(db, "SELECT COUNT(*) FROM work_items WHERE wait_token IS NOT NULL"),
      selectWaiting(db, (std::string("SELECT w.id, w.flow_id, w.step_id, ") + kItemMessage +
                         ", w.wait_token FROM work_items w " + kItemMessageJoin +
                         " WHERE w.execution_id = ?1 AND w.wait_token IS NOT NULL ORDER BY w.id")
                            .c_str()) {}

}  // namespace flowgate::queue
