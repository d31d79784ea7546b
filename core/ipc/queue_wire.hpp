// The frames of the worker link: one module writes and reads them all, straight from and
// into the structs (no JSON document in between: a take answer carries 32 items of ~1 KiB,
// issue 9). The primitives and why there are no versions: frame_codec.hpp.
//
// Worker -> intake (on the worker's one connection, answered in order):
//   take        u8 1, u32 max, i64 waitMs              -> ok + u32 n, n x item
//   settle      u8 3, u32 n, n x outcome               -> ok
//   hasPending  u8 4, bytes execution                  -> ok + u8 pending
//   reply       u8 5, bytes execution, i32 status, u32 n, n x (bytes name, bytes value),
//               bytes body                                (no answer)
//   settleAndTake  u8 6, u32 max, u32 n, n x outcome  -> ok + u32 n, n x item (as take,
//               without waiting)
// (Op 2, once `started`, is unused: the step slot of ipc/step_slot.hpp says that now.)
// Every answer starts with u8 0 (ok) or u8 1 + bytes text (the intake refused: the
// client throws queue::QueueUnavailable with the text).
//   item     i64 id, u64 token, bytes flow, bytes execution, bytes step, bytes message,
//            i32 failedAttempts
//   outcome  i64 id, u64 token, u8 kind, u32 n, n x (bytes flow, bytes execution,
//            bytes step, bytes message), i64 delayMs, u8 failed, bytes error,
//            bytes message, bytes waitToken, u32 n, n x chained, i64 durationUs
//   chained  bytes step, u8 ok, bytes error, i64 startedAtMs, i64 durationUs
// Strings are bytes: messages and bodies that are not UTF-8 travel unchanged.
//
// A frame that does not decode exactly (cut short, a length past its end, an unknown
// operation or kind, bytes left over) throws LinkError: the peer is broken, its link is
// closed and nothing of the frame is applied.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "flowgate/step.hpp"
#include "queue/queue.hpp"

namespace flowgate::ipc::wire {

// Requests, as the intake reads them.
struct Take {
    std::size_t max = 0;
    std::chrono::milliseconds wait{0};
};
struct Settle {
    std::vector<queue::Outcome> outcomes;
};
struct SettleAndTake {
    std::size_t max = 0;
    std::vector<queue::Outcome> outcomes;
};
struct HasPending {
    std::string executionId;
};
struct DeliverReply {
    std::string executionId;
    HttpReply reply;
};
using Request = std::variant<Take, Settle, SettleAndTake, HasPending, DeliverReply>;

// Whether the worker waits for an answer to `request`.
bool answered(const Request& request);

// The worker's side: each returns a frame body for FrameSocket::send.
std::string takeRequest(std::size_t max, std::chrono::milliseconds wait);
std::string settleRequest(const std::vector<queue::Outcome>& outcomes);
std::string settleAndTakeRequest(const std::vector<queue::Outcome>& outcomes, std::size_t max);
std::string hasPendingRequest(const std::string& executionId);
std::string replyRequest(const std::string& executionId, const HttpReply& reply);

// The intake's side.
Request decodeRequest(std::string_view frame);
std::string takeAnswer(const std::vector<queue::WorkItem>& items);
std::string settleAnswer();
std::string hasPendingAnswer(bool pending);
std::string errorAnswer(const std::string& error);

// Back on the worker: throw queue::QueueUnavailable for an error answer.
std::vector<queue::WorkItem> decodeTakeAnswer(std::string_view frame);  // and settleAndTake's
void decodeSettleAnswer(std::string_view frame);
bool decodeHasPendingAnswer(std::string_view frame);

}  // namespace flowgate::ipc::wire
