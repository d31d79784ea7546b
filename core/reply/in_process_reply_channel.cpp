#include <condition_variable>
#include <map>
#include <mutex>

#include "reply/reply_channel.hpp"

namespace flowgate::reply {

namespace {

struct Slot {
    std::mutex mutex;
    std::condition_variable arrived;
    std::optional<HttpReply> reply;
};

class InProcessReplyChannel;

class InProcessWaiter final : public ReplyWaiter {
public:
    InProcessWaiter(InProcessReplyChannel& channel, std::string id, std::shared_ptr<Slot> slot)
        : channel_(channel), id_(std::move(id)), slot_(std::move(slot)) {}
    ~InProcessWaiter() override;

    std::optional<HttpReply> wait(std::chrono::steady_clock::time_point deadline) override {
        std::unique_lock lock(slot_->mutex);
        slot_->arrived.wait_until(lock, deadline, [&] { return slot_->reply.has_value(); });
        return slot_->reply;
    }

private:
    InProcessReplyChannel& channel_;
    std::string id_;
    std::shared_ptr<Slot> slot_;
};

class InProcessReplyChannel final : public ReplyChannel {
public:
    std::unique_ptr<ReplyWaiter> expect(const std::string& executionId) override {
        auto slot = std::make_shared<Slot>();
        {
            std::lock_guard lock(mutex_);
            slots_[executionId] = slot;
        }
        return std::make_unique<InProcessWaiter>(*this, executionId, std::move(slot));
    }

    void deliver(const std::string& executionId, HttpReply reply) override {
        std::shared_ptr<Slot> slot;
        {
            std::lock_guard lock(mutex_);
            auto it = slots_.find(executionId);
            if (it == slots_.end()) return;
            slot = it->second;
        }
        {
            std::lock_guard lock(slot->mutex);
            if (slot->reply) return;
            slot->reply = std::move(reply);
        }
        slot->arrived.notify_all();
    }

    void forget(const std::string& executionId) {
        std::lock_guard lock(mutex_);
        slots_.erase(executionId);
    }

private:
    std::mutex mutex_;
    std::map<std::string, std::shared_ptr<Slot>> slots_;
};

InProcessWaiter::~InProcessWaiter() { channel_.forget(id_); }

}  // namespace

std::unique_ptr<ReplyChannel> makeInProcessReplyChannel() {
    return std::make_unique<InProcessReplyChannel>();
}

}  // namespace flowgate::reply
