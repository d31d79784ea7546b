// Work items on the writer thread: storing new ones, leasing ready ones (take), and
// applying each outcome of a settle.
#include "queue/sqlite_queue_impl.hpp"

namespace flowgate::queue {

namespace {

// The item an outcome settles, from a row of selectLeased, read before the outcome
// changes it.
LeasedItem leasedOf(sqlite::Stmt& stmt) {
    LeasedItem item;
    item.executionId = stmt.columnText(0);
    item.stepId = stmt.columnText(1);
    item.attempt = static_cast<int>(stmt.columnInt(2));
    item.leasedAtMs = stmt.columnIsNull(3) ? 0 : stmt.columnInt(3);
    item.executionSeq = stmt.columnIsNull(4) ? 0 : stmt.columnInt(4);
    return item;
}

// The item of a row of selectReady or selectEnded (columns 0-5).
WorkItem takenOf(sqlite::Stmt& stmt) {
    WorkItem item;
    item.id = stmt.columnInt(0);
    item.flowId = stmt.columnText(1);
    item.executionId = stmt.columnText(2);
    item.stepId = stmt.columnText(3);
    item.message = stmt.columnText(4);
    item.failedAttempts = static_cast<int>(stmt.columnInt(5));
    return item;
}

}  // namespace

void SqliteQueue::Impl::applyEnqueue(Op& op, std::int64_t now, Effects& effects) {
    const std::string deliveryId =
        op.kind == Op::Kind::enqueueOnce ? deliveryIdOfKey(op.key) : std::string();
    for (const auto& item : op.items) {
        const StartedExecution started =
            history_->started(item.executionId, item.flowId, item.message, deliveryId, now);
        insertItem(item, now, effects, started.seq, started.messageKept);
    }
    effects.stored += static_cast<std::int64_t>(op.items.size());
    effects.madeReady = effects.madeReady || !op.items.empty();
}

void SqliteQueue::Impl::insertItem(const NewWorkItem& item, std::int64_t now, Effects& effects,
                                   std::int64_t executionSeq, bool shareMessage) {
    const auto bytes = static_cast<std::int64_t>(item.message.size());
    {
        sqlite::Stmt::Use use(write_->insertItem);
        use->bind(1, item.flowId).bind(2, item.executionId).bind(3, item.stepId).bind(4, now);
        if (executionSeq != 0) {
            use->bind(5, executionSeq);
        } else {
            use->bindNull(5);
        }
        if (shareMessage) {
            use->bind(6, executionSeq);
        } else {
            use->bindNull(6);
        }
        use->bind(7, bytes).run();
    }
    if (!shareMessage) {
        sqlite::Stmt::Use use(write_->insertMessage);
        use->bind(1, writeDb_->lastInsertRowid()).bind(2, item.message).run();
    }
    effects.bytes += bytes;
}

void SqliteQueue::Impl::applySettle(Op& op, std::int64_t now, Effects& effects) {
    sqlite::Db& db = *writeDb_;
    for (const auto& outcome : op.outcomes) {
        const auto token = static_cast<std::int64_t>(outcome.leaseToken);
        // The attempt was counted at take: a failure keeps it, a retryLater gives it back.
        const std::int64_t attemptChange = outcome.failed ? 0 : -1;
        // The settled item as it was leased (read before the outcome changes it), the
        // attempt's outcome and the execution's status it implies (nullptr: look).
        LeasedItem leased;
        const char* recorded = nullptr;  // set once the outcome is applied
        const char* status = nullptr;
        switch (outcome.kind) {
        case Outcome::Kind::completed: {
            if (!deleteLeased(outcome.itemId, token, effects, leased)) {
                break;  // lease lost: someone else runs this item, its `next` is theirs
            }
            recorded = "completed";
            for (const auto& item : outcome.next) {
                const bool same = item.executionId == leased.executionId;
                if (same) status = "running";
                insertItem(item, now, effects, same ? leased.executionSeq : 0, false);
            }
            effects.stored += static_cast<std::int64_t>(outcome.next.size());
            effects.madeReady = effects.madeReady || !outcome.next.empty();
            break;
        }
        case Outcome::Kind::retry: {
            readLeased(outcome.itemId, token, leased);
            sqlite::Stmt::Use use(write_->retryLeased);
            use->bind(1, attemptChange).bind(2, addMs(now, outcome.delay));
            if (outcome.error.empty()) {
                use->bindNull(3);
            } else {
                use->bind(3, outcome.error);
            }
            use->bind(4, outcome.itemId).bind(5, token).run();
            if (db.changes() > 0) {
                recorded = outcome.failed ? "failed" : "retry";
                status = outcome.failed ? "failed" : "running";
                if (outcome.delay.count() <= 0) {
                    effects.madeReady = true;
                }
            }
            break;
        }
        case Outcome::Kind::deadLetter: {
            {
                sqlite::Stmt::Use use(write_->insertDeadLetter);
                if (outcome.error.empty()) {
                    use->bindNull(1);
                } else {
                    use->bind(1, outcome.error);
                }
                use->bind(2, now).bind(3, outcome.itemId).bind(4, token).run();
            }
            if (db.changes() == 0) {
                break;  // lease lost
            }
            deleteLeased(outcome.itemId, token, effects, leased);
            effects.dead += 1;
            recorded = "dead";
            status = "dead";
            break;
        }
        case Outcome::Kind::wait: {
            LeasedMessage message;
            if (!readLeased(outcome.itemId, token, leased, &message)) break;  // lease lost
            const auto bytes = static_cast<std::int64_t>(outcome.message.size());
            sqlite::Stmt::Use(write_->parkLeased)
                ->bind(1, addMs(now, outcome.delay))
                .bind(2, outcome.waitToken)
                .bind(3, outcome.itemId)
                .bind(4, token)
                .bind(5, bytes)
                .run();
            sqlite::Stmt::Use(write_->updateMessage)
                ->bind(1, outcome.message)
                .bind(2, outcome.itemId)
                .run();
            effects.bytes += bytes - message.bytes;
            recorded = "waiting";
            break;
        }
        case Outcome::Kind::release: {
            readLeased(outcome.itemId, token, leased);
            sqlite::Stmt::Use use(write_->releaseLeased);
            use->bind(1, addMs(now, outcome.delay)).bind(2, outcome.itemId).bind(3, token).run();
            if (db.changes() > 0) {
                recorded = "released";
                status = "running";
                if (outcome.delay.count() <= 0) {
                    effects.madeReady = true;
                }
            }
            break;
        }
        }
        if (recorded) history_->attempt(leased, recorded, outcome.error, now, status, outcome.chained);
    }
}

void SqliteQueue::Impl::applyTake(Op& op, std::int64_t now) {
    const auto limit = static_cast<std::int64_t>(
        std::min<std::uint64_t>(op.max, std::numeric_limits<std::int64_t>::max()));
    // Usually none: a lease runs out only when its worker died or hung.
    std::vector<Due> ended = takeEnded(now, op.max);
    std::vector<std::int64_t> readyAt;
    {
        // Read first, update after: changing rows under a running SELECT on the same
        // table can make SQLite visit a row twice.
        sqlite::Stmt::Use use(write_->selectReady);
        use->bind(1, now).bind(2, limit);
        while (use->step()) {
            op.taken.push_back(takenOf(write_->selectReady));
            if (!ended.empty()) readyAt.push_back(use->columnInt(6));
        }
    }
    if (!ended.empty()) {
        // In line by the time each became ready: a lease's end is its item's
        // available_at_ms, as it was when leased items were indexed too.
        std::vector<Due> all;
        for (std::size_t i = 0; i < op.taken.size(); ++i)
            all.push_back({readyAt[i], std::move(op.taken[i])});
        op.taken.clear();
        for (auto& due : ended) all.push_back(std::move(due));
        std::sort(all.begin(), all.end(), [](const Due& a, const Due& b) {
            return a.atMs != b.atMs ? a.atMs < b.atMs : a.item.id < b.item.id;
        });
        if (all.size() > op.max) all.resize(op.max);
        for (auto& due : all) {
            // Retaken after its lease ran out without a report.
            if (due.lost) {
                history_->lost({due.item.executionId, due.item.stepId, due.item.failedAttempts,
                                due.leasedAtMs},
                               now);
            }
            op.taken.push_back(std::move(due.item));
        }
    }
    const std::int64_t leaseEnd = addMs(now, op.lease);
    for (auto& item : op.taken) {
        item.leaseToken = newLeaseToken();
        sqlite::Stmt::Use use(write_->leaseItem);
        use->bind(1, static_cast<std::int64_t>(item.leaseToken))
            .bind(2, leaseEnd)
            .bind(3, item.id)
            .bind(4, now)
            .run();
    }
}

std::vector<SqliteQueue::Impl::Due> SqliteQueue::Impl::takeEnded(std::int64_t now,
                                                                  std::size_t limit) {
    std::vector<Due> ended;
    for (const auto& lease : leases_.ended(now)) {
        if (ended.size() >= limit) break;
        sqlite::Stmt::Use use(write_->selectEnded);
        use->bind(1, lease.itemId).bind(2, static_cast<std::int64_t>(lease.token));
        if (!use->step()) {
            staleLeases_.push_back(lease);  // settled in a batch that failed, or retaken
            continue;
        }
        if (use->columnInt(7) != 0) continue;  // paused: stays leased until resumed
        Due& due = ended.emplace_back();
        due.atMs = lease.endMs;
        due.lost = true;
        due.item = takenOf(write_->selectEnded);
        due.leasedAtMs = use->columnIsNull(6) ? 0 : use->columnInt(6);
    }
    return ended;
}

void SqliteQueue::Impl::bookLeases(const Batch& batch, const std::vector<bool>& skipped,
                                   const std::vector<std::string>& failures, std::int64_t now) {
    for (const auto& lease : staleLeases_) leases_.drop(lease.itemId, lease.token);
    for (std::size_t i = 0; i < batch.size(); ++i) {
        const Op& op = *batch[i];
        if (skipped[i] || !failures[i].empty()) continue;
        if (op.kind == Op::Kind::take) {
            const std::int64_t end = addMs(now, op.lease);
            for (const auto& item : op.taken) leases_.add(item.id, item.leaseToken, end);
        } else if (op.kind == Op::Kind::settle) {
            // Whatever the outcome, the lease is over; one lost before is not the token's.
            for (const auto& outcome : op.outcomes)
                leases_.drop(outcome.itemId, outcome.leaseToken);
        }
    }
}

// Deletes a leased item; false if its lease was lost (nothing deleted).
bool SqliteQueue::Impl::deleteLeased(std::int64_t itemId, std::int64_t token, Effects& effects,
                                     LeasedItem& leased) {
    LeasedMessage message;
    if (!readLeased(itemId, token, leased, &message)) return false;
    sqlite::Stmt::Use(write_->deleteLeased)->bind(1, itemId).bind(2, token).run();
    // A shared message is its execution's: history pruning deletes it.
    if (!message.shared) sqlite::Stmt::Use(write_->deleteMessage)->bind(1, itemId).run();
    effects.bytes -= message.bytes;
    effects.stored -= 1;
    return true;
}

bool SqliteQueue::Impl::readLeased(std::int64_t itemId, std::int64_t token, LeasedItem& leased,
                                   LeasedMessage* message) {
    // Only history needs the row unless its message is asked for.
    if (!message && !history_->enabled()) return true;
    sqlite::Stmt::Use use(write_->selectLeased);
    use->bind(1, itemId).bind(2, token);
    if (!use->step()) return false;
    leased = leasedOf(write_->selectLeased);
    if (message) *message = {use->columnInt(5) != 0, use->columnInt(6)};
    return true;
}

std::int64_t SqliteQueue::Impl::messageBytes(std::int64_t itemId) {
    sqlite::Stmt::Use use(write_->messageBytes);
    use->bind(1, itemId);
    return use->step() ? use->columnInt(0) : 0;
}

std::optional<std::int64_t> SqliteQueue::Impl::queryEarliestFuture(std::int64_t now) {
    sqlite::Stmt::Use use(write_->earliestFuture);
    use->bind(1, now);
    if (!use->step() || use->columnIsNull(0)) {
        return std::nullopt;
    }
    return use->columnInt(0);
}

std::uint64_t SqliteQueue::Impl::newLeaseToken() { return nextLeaseToken_++; }

}  // namespace flowgate::queue
