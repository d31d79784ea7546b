// enqueueOnce(): a delivery key stored with its items, remembered for a window, and the
// purge of expired keys.
#include "queue/sqlite_queue_impl.hpp"

#include <stdexcept>

namespace flowgate::queue {

std::optional<std::string> SqliteQueue::Impl::enqueueOnce(const std::string& key,
                                                         milliseconds window,
                                                         std::string executionId,
                                                         std::vector<NewWorkItem> items) {
    if (window.count() <= 0) {
        throw std::invalid_argument("enqueueOnce: window must be positive");
    }
    // Checked before the key, as the writer does: a full queue refuses duplicates too, so
    // the answer does not depend on which of the two checks a call happens to reach.
    refuseIfFull(storedCount_.load(), storedBytes_.load(), items);
    auto op = std::make_shared<Op>(Op::Kind::enqueueOnce);
    op->key = key;
    op->window = window;
    op->executionId = std::move(executionId);
    op->items = std::move(items);
    submit(op).get();
    return std::move(op->duplicateOf);
}

// Runs inside the op's savepoint, so the key and the items are kept or undone together.
void SqliteQueue::Impl::applyEnqueueOnce(Op& op, std::int64_t now, Effects& effects) {
    bool known = false;
    {
        sqlite::Stmt::Use use(write_->selectDelivery);
        use->bind(1, op.key);
        if (use->step()) {
            known = true;
            if (use->columnInt(1) > now) {
                op.duplicateOf = use->columnText(0);
                return;
            }
        }
    }
    {
        // An expired row is overwritten in place: its key starts a new window.
        sqlite::Stmt::Use use(write_->upsertDelivery);
        use->bind(1, op.key).bind(2, op.executionId).bind(3, addMs(now, op.window)).run();
    }
    effects.keys += known ? 0 : 1;
    applyEnqueue(op, now, effects);
}

// Deletes up to kPurgeBatch expired keys in the batch's transaction: riding on a commit the
// batch pays for anyway costs no extra fsync. Its own savepoint, so that a purge failing
// alone (unlikely: it only deletes) costs only the purge, not the callers of the batch.
void SqliteQueue::Impl::purgeExpiredKeys(std::int64_t now, Effects& effects) {
    sqlite::Db& db = *writeDb_;
    nextPurgeMs_ = now + kPurgeIntervalMs;
    sqlite::Stmt::Use(write_->savepoint)->run();
    try {
        {
            sqlite::Stmt::Use use(write_->purgeDeliveries);
            use->bind(1, now).bind(2, kPurgeBatch).run();
        }
        const int purged = db.changes();
        sqlite::Stmt::Use(write_->releaseSavepoint)->run();
        effects.keys -= purged;
        if (purged >= kPurgeBatch) {
            nextPurgeMs_ = now;  // more may be waiting: go on in the next batch
        }
    } catch (const sqlite::Error&) {
        if (db.autocommit()) {
            throw;  // SQLite rolled the whole transaction back: the batch has failed
        }
        sqlite::Stmt::Use(write_->rollbackToSavepoint)->run();
        sqlite::Stmt::Use(write_->releaseSavepoint)->run();
    }
}

}  // namespace flowgate::queue
