// The worker's side of the worker link: a WorkSource backed by the intake's queue, and
// the way sync replies reach the intake, over one connection.
#pragma once

#include <atomic>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>

#include "flowgate/step.hpp"
#include "ipc/frame_socket.hpp"
#include "runtime/work_source.hpp"

namespace flowgate::ipc {

// Thread-safe: calls are serialised on the one connection.
class QueueClient final : public runtime::WorkSource {
public:
    // Connects to the intake at `socketPath`, trying for up to `patience` while it is not
    // listening yet. `onLost` runs once, on the calling thread, when the connection breaks:
    // the intake is gone or stopping. Throws LinkError.
    QueueClient(const std::filesystem::path& socketPath, std::chrono::milliseconds patience,
                std::function<void()> onLost);

    std::vector<queue::WorkItem> take(std::size_t max, std::chrono::milliseconds wait) override;
    void settle(std::vector<queue::Outcome> outcomes) override;
    std::vector<queue::WorkItem> settleAndTake(const std::vector<queue::Outcome>& outcomes,
                                               std::size_t max) override;
    bool hasPending(const std::string& executionId) override;
    void close() override { closed_ = true; }

    // Hands a sync flow's reply to the intake, where its caller waits.
    void deliverReply(const std::string& executionId, const HttpReply& reply);

private:
    // Sends the frame `request` and returns `decode` of the answer's frame: an error
    // answer throws queue::QueueUnavailable; a broken link or a malformed answer throws
    // LinkError, after onLost.
    template <class Decode>
    auto ask(const std::string& request, Decode decode);
    // Sends a frame that has no answer; a broken link throws LinkError, after onLost.
    void tell(const std::string& request);
    void lose();

    std::mutex mutex_;
    std::unique_ptr<FrameSocket> socket_;
    std::function<void()> onLost_;
    std::atomic<bool> lost_{false};
    std::atomic<bool> closed_{false};
};

}  // namespace flowgate::ipc
