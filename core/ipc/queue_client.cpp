#include "ipc/queue_client.hpp"

#include <thread>

#include "ipc/queue_wire.hpp"

namespace flowgate::ipc {

using nlohmann::json;

QueueClient::QueueClient(const std::filesystem::path& socketPath,
                         std::chrono::milliseconds patience, std::function<void()> onLost)
    : onLost_(std::move(onLost)) {
    const auto deadline = std::chrono::steady_clock::now() + patience;
    for (;;) {
        try {
            socket_ = std::make_unique<FrameSocket>(connectTo(socketPath));
            return;
        } catch (const LinkError&) {
            if (std::chrono::steady_clock::now() >= deadline) throw;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
}

json QueueClient::call(const json& request, bool answered) {
    std::optional<json> answer;
    try {
        std::lock_guard lock(mutex_);
        if (lost_) throw LinkError("the link to the intake is closed");
        socket_->send(request);
        if (!answered) return {};
        answer = socket_->receive();
        if (!answer) throw LinkError("the intake closed the link");
    } catch (const LinkError&) {
        if (!lost_.exchange(true) && onLost_) onLost_();
        throw;
    }
    if (answer->contains("error"))
        throw queue::QueueUnavailable(answer->at("error").get<std::string>());
    return std::move(*answer);
}

std::vector<queue::WorkItem> QueueClient::take(std::size_t max, std::chrono::milliseconds wait) {
    if (closed_) return {};
    const json answer = call({{"op", "take"}, {"max", max}, {"waitMs", wait.count()}});
    return wire::decodeItems(answer.at("items"));
}

void QueueClient::started(const queue::WorkItem& item, const std::string& stepId,
                          std::chrono::milliseconds deadline) {
    json frame = {{"op", "started"},
                  {"id", item.id},
                  {"token", item.leaseToken},
                  {"deadlineMs", deadline.count()}};
    if (stepId != item.stepId) frame["step"] = stepId;  // a chained step
    call(frame, false);
}

void QueueClient::settle(std::vector<queue::Outcome> outcomes) {
    call({{"op", "settle"}, {"outcomes", wire::encodeOutcomes(outcomes)}});
}

bool QueueClient::hasPending(const std::string& executionId) {
    return call({{"op", "hasPending"}, {"execution", executionId}}).at("pending").get<bool>();
}

void QueueClient::deliverReply(const std::string& executionId, const HttpReply& reply) {
    call({{"op", "reply"}, {"execution", executionId}, {"reply", wire::encode(reply)}}, false);
}

}  // namespace flowgate::ipc
