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

}  // namespace

void SqliteQueue::Impl::applyEnqueue(Op& op, std::int64_t now, Effects& effects) {
    const std::string deliveryId =
        op.kind == Op::Kind::enqueueOnce ? deliveryIdOfKey(op.key) : std::string();
    for (const auto& item : op.items) {
        const StartedExecution started =
            history_->started(item.executionId, item.flowId, item.message, deliveryId, now);
        if (started.seq != 0) ++pruneDue_;
        insertItem(item, now, effects, started.seq, started.messageKept);
    }
    effects.stored += static_cast<std::int64_t>(op.items.size());
    effects.madeReady = effects.madeReady || !op.items.empty();
}

void SqliteQueue::Impl::insertItems(std::span<const NewWorkItem* const> items,
                                    std::span<const StartedExecution> started, std::int64_t now,
                                    Effects& effects) {
    auto& insert = write_->insertItems;
    auto& insertOwn = write_->insertMessages;
    constexpr std::size_t kChunk = sqlite::MultiRowInsert::kMaxRows;
    for (std::size_t from = 0; from < items.size(); from += kChunk) {
        const int rows = static_cast<int>(std::min(kChunk, items.size() - from));
        int own[kChunk];  // the rows whose item keeps a message of its own
        int owning = 0;
        {
            sqlite::Stmt::Use use(insert.forRows(rows));
            for (int r = 0; r < rows; ++r) {
                const NewWorkItem& item = *items[from + r];
                const StartedExecution& execution = started[from + r];
                use->bind(insert.param(r, 1), item.flowId)
                    .bind(insert.param(r, 2), item.executionId)
                    .bind(insert.param(r, 3), item.stepId)
                    .bind(insert.param(r, 4), now);
                if (execution.seq != 0) use->bind(insert.param(r, 5), execution.seq);
                if (execution.messageKept) use->bind(insert.param(r, 6), execution.seq);
                else own[owning++] = r;
                use->bind(insert.param(r, 7), static_cast<std::int64_t>(item.message.size()));
                effects.bytes += static_cast<std::int64_t>(item.message.size());
            }
            use->run();
        }
        if (owning == 0) continue;
        // One statement's rows get consecutive ids (AUTOINCREMENT: each the largest so
        // far plus one, and nothing else writes meanwhile).
        const std::int64_t firstId = writeDb_->lastInsertRowid() - rows + 1;
        sqlite::Stmt::Use use(insertOwn.forRows(owning));
        for (int k = 0; k < owning; ++k) {
            use->bind(insertOwn.param(k, 1), firstId + own[k])
                .bind(insertOwn.param(k, 2), items[from + own[k]]->message);
        }
        use->run();
    }
}

void SqliteQueue::Impl::insertItem(const NewWorkItem& item, std::int64_t now, Effects& effects,
                                   std::int64_t executionSeq, bool shareMessage) {
    const NewWorkItem* one = &item;
    const StartedExecution execution{executionSeq, shareMessage};
    insertItems({&one, 1}, {&execution, 1}, now, effects);
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
    {
        // Read first, update after: changing rows under a running SELECT on the same
        // table can make SQLite visit a row twice.
        sqlite::Stmt::Use use(write_->selectReady);
        use->bind(1, now).bind(2, limit);
        while (use->step()) {
            WorkItem& item = op.taken.emplace_back();
            item.id = use->columnInt(0);
            item.flowId = use->columnText(1);
            item.executionId = use->columnText(2);
            item.stepId = use->columnText(3);
            item.message = use->columnText(4);
            item.failedAttempts = static_cast<int>(use->columnInt(5));
            // Ready although leased: that lease ran out without a report.
            if (use->columnInt(6) != 0) {
                history_->lost({item.executionId, item.stepId, item.failedAttempts,
                                use->columnIsNull(7) ? 0 : use->columnInt(7)},
                               now);
            }
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
