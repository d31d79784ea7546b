// Parked items (a step waiting for its execution to be resumed): listing them and the
// compare-and-set that resumes one. Parking itself is a settle outcome (sqlite_work_items).
#include "queue/sqlite_queue_impl.hpp"

namespace flowgate::queue {

std::vector<WaitingItem> SqliteQueue::Impl::waiting(const std::string& executionId) {
    std::vector<WaitingItem> result;
    try {
        std::lock_guard lock(readMutex_);
        sqlite::Stmt::Use use(read_->selectWaiting);
        use->bind(1, executionId);
        while (use->step()) {
            WaitingItem& item = result.emplace_back();
            item.id = use->columnInt(0);
            item.flowId = use->columnText(1);
            item.stepId = use->columnText(2);
            item.message = use->columnText(3);
            item.waitToken = use->columnText(4);
        }
    } catch (const sqlite::Error& e) {
        throw QueueUnavailable(std::string("queue waiting: ") + e.what());
    }
    return result;
}

bool SqliteQueue::Impl::resume(std::int64_t itemId, const std::string& waitToken,
                               std::string message) {
    auto op = std::make_shared<Op>(Op::Kind::resume);
    op->itemId = itemId;
    op->waitToken = waitToken;
    op->message = std::move(message);
    submit(op).get();
    return op->resumed;
}

void SqliteQueue::Impl::applyResume(Op& op, std::int64_t now, Effects& effects) {
    const std::int64_t before = messageBytes(op.itemId);
    const auto bytes = static_cast<std::int64_t>(op.message.size());
    sqlite::Stmt::Use use(write_->resumeParked);
    use->bind(1, now).bind(2, op.itemId).bind(3, op.waitToken).bind(4, bytes).run();
    op.resumed = writeDb_->changes() > 0;
    if (op.resumed) {
        sqlite::Stmt::Use(write_->updateMessage)->bind(1, op.message).bind(2, op.itemId).run();
    }
    if (op.resumed) effects.bytes += bytes - before;
    if (op.resumed) history_->refreshItem(op.itemId, now);
    effects.madeReady = effects.madeReady || op.resumed;
}

}  // namespace flowgate::queue
