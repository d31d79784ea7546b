#include "ipc/queue_wire.hpp"

#include <algorithm>
#include <limits>

#include "ipc/frame_codec.hpp"

namespace flowgate::ipc::wire {

namespace {

enum class Op : std::uint8_t {
    take = 1,
    settle = 3,
    hasPending = 4,
    reply = 5,
    settleAndTake = 6
};
enum class Status : std::uint8_t { ok = 0, error = 1 };

// The fewest bytes each list element takes on the wire (all strings empty): what
// FrameReader::count checks a forged count against.
constexpr std::size_t kMinItemBytes = 8 + 8 + 4 * 4 + 4;
constexpr std::size_t kMinNewItemBytes = 4 * 4;
constexpr std::size_t kMinOutcomeBytes = 8 + 8 + 1 + 4 + 8 + 1 + 3 * 4 + 4 + 8;
constexpr std::size_t kMinChainedBytes = 4 + 1 + 4 + 8 + 8;
constexpr std::size_t kMinHeaderBytes = 2 * 4;
// A forged count is bounded by the frame already; this bounds what it can make us reserve
// before the elements themselves have been read.
constexpr std::size_t kMaxReserve = 1024;

std::size_t sizeOf(const queue::WorkItem& item) {
    return kMinItemBytes + item.flowId.size() + item.executionId.size() + item.stepId.size() +
           item.message.size();
}

std::size_t sizeOf(const queue::Outcome& outcome) {
    std::size_t size = kMinOutcomeBytes + outcome.error.size() + outcome.message.size() +
                       outcome.waitToken.size();
    for (const auto& n : outcome.next)
        size += kMinNewItemBytes + n.flowId.size() + n.executionId.size() + n.stepId.size() +
                n.message.size();
    for (const auto& run : outcome.chained)
        size += kMinChainedBytes + run.stepId.size() + run.error.size();
    return size;
}

void write(FrameWriter& out, const queue::WorkItem& item) {
    out.i64(item.id);
    out.u64(item.leaseToken);
    out.bytes(item.flowId);
    out.bytes(item.executionId);
    out.bytes(item.stepId);
    out.bytes(item.message);
    out.i32(item.failedAttempts);
}

queue::WorkItem readItem(FrameReader& in) {
    queue::WorkItem item;
    item.id = in.i64();
    item.leaseToken = in.u64();
    item.flowId = in.bytes();
    item.executionId = in.bytes();
    item.stepId = in.bytes();
    item.message = in.bytes();
    item.failedAttempts = in.i32();
    return item;
}

void write(FrameWriter& out, const queue::Outcome& outcome) {
    out.i64(outcome.itemId);
    out.u64(outcome.leaseToken);
    out.u8(static_cast<std::uint8_t>(outcome.kind));
    out.u32(static_cast<std::uint32_t>(outcome.next.size()));
    for (const auto& n : outcome.next) {
        out.bytes(n.flowId);
        out.bytes(n.executionId);
        out.bytes(n.stepId);
        out.bytes(n.message);
    }
    out.i64(outcome.delay.count());
    out.boolean(outcome.failed);
    out.bytes(outcome.error);
    out.bytes(outcome.message);
    out.bytes(outcome.waitToken);
    out.u32(static_cast<std::uint32_t>(outcome.chained.size()));
    for (const auto& run : outcome.chained) {
        out.bytes(run.stepId);
        out.boolean(run.ok);
        out.bytes(run.error);
        out.i64(run.startedAtMs);
        out.i64(run.durationUs);
    }
    out.i64(outcome.durationUs);
}

queue::Outcome readOutcome(FrameReader& in) {
    queue::Outcome outcome;
    outcome.itemId = in.i64();
    outcome.leaseToken = in.u64();
    const auto kind = in.u8();
    if (kind > static_cast<std::uint8_t>(queue::Outcome::Kind::wait))
        FrameReader::malformed("unknown outcome kind " + std::to_string(kind));
    outcome.kind = static_cast<queue::Outcome::Kind>(kind);
    const std::size_t next = in.count(kMinNewItemBytes);
    outcome.next.reserve(std::min(next, kMaxReserve));
    for (std::size_t i = 0; i < next; ++i) {
        queue::NewWorkItem item;
        item.flowId = in.bytes();
        item.executionId = in.bytes();
        item.stepId = in.bytes();
        item.message = in.bytes();
        outcome.next.push_back(std::move(item));
    }
    outcome.delay = std::chrono::milliseconds(in.i64());
    outcome.failed = in.boolean();
    outcome.error = in.bytes();
    outcome.message = in.bytes();
    outcome.waitToken = in.bytes();
    const std::size_t chained = in.count(kMinChainedBytes);
    outcome.chained.reserve(std::min(chained, kMaxReserve));
    for (std::size_t i = 0; i < chained; ++i) {
        queue::ChainedRun run;
        run.stepId = in.bytes();
        run.ok = in.boolean();
        run.error = in.bytes();
        run.startedAtMs = in.i64();
        run.durationUs = in.i64();
        outcome.chained.push_back(std::move(run));
    }
    outcome.durationUs = in.i64();
    return outcome;
}

// Reads an answer's status; throws QueueUnavailable for an error answer.
void readStatus(FrameReader& in) {
    const auto status = in.u8();
    if (status == static_cast<std::uint8_t>(Status::ok)) return;
    if (status != static_cast<std::uint8_t>(Status::error))
        FrameReader::malformed("unknown answer status " + std::to_string(status));
    std::string error = in.bytes();
    in.end();
    throw queue::QueueUnavailable(std::move(error));
}

}  // namespace

bool answered(const Request& request) {
    return !std::holds_alternative<DeliverReply>(request);
}

std::string takeRequest(std::size_t max, std::chrono::milliseconds wait) {
    FrameWriter out(1 + 4 + 8);
    out.u8(static_cast<std::uint8_t>(Op::take));
    out.u32(static_cast<std::uint32_t>(
        std::min<std::size_t>(max, std::numeric_limits<std::uint32_t>::max())));
    out.i64(wait.count());
    return std::move(out).finish();
}

std::string settleRequest(const std::vector<queue::Outcome>& outcomes) {
    std::size_t size = 1 + 4;
    for (const auto& outcome : outcomes) size += sizeOf(outcome);
    FrameWriter out(size);
    out.u8(static_cast<std::uint8_t>(Op::settle));
    out.u32(static_cast<std::uint32_t>(outcomes.size()));
    for (const auto& outcome : outcomes) write(out, outcome);
    return std::move(out).finish();
}

std::string settleAndTakeRequest(const std::vector<queue::Outcome>& outcomes, std::size_t max) {
    std::size_t size = 1 + 4 + 4;
    for (const auto& outcome : outcomes) size += sizeOf(outcome);
    FrameWriter out(size);
    out.u8(static_cast<std::uint8_t>(Op::settleAndTake));
    out.u32(static_cast<std::uint32_t>(
        std::min<std::size_t>(max, std::numeric_limits<std::uint32_t>::max())));
    out.u32(static_cast<std::uint32_t>(outcomes.size()));
    for (const auto& outcome : outcomes) write(out, outcome);
    return std::move(out).finish();
}

std::string hasPendingRequest(const std::string& executionId) {
    FrameWriter out(1 + FrameWriter::sizeOf(executionId));
    out.u8(static_cast<std::uint8_t>(Op::hasPending));
    out.bytes(executionId);
    return std::move(out).finish();
}

std::string replyRequest(const std::string& executionId, const HttpReply& reply) {
    std::size_t size = 1 + FrameWriter::sizeOf(executionId) + 4 + 4 +
                       FrameWriter::sizeOf(reply.body);
    for (const auto& [name, value] : reply.headers) size += kMinHeaderBytes + name.size() + value.size();
    FrameWriter out(size);
    out.u8(static_cast<std::uint8_t>(Op::reply));
    out.bytes(executionId);
    out.i32(reply.status);
    out.u32(static_cast<std::uint32_t>(reply.headers.size()));
    for (const auto& [name, value] : reply.headers) {
        out.bytes(name);
        out.bytes(value);
    }
    out.bytes(reply.body);
    return std::move(out).finish();
}

Request decodeRequest(std::string_view frame) {
    FrameReader in(frame);
    Request request;
    switch (const auto op = in.u8(); static_cast<Op>(op)) {
        case Op::take: {
            Take take;
            take.max = in.u32();
            take.wait = std::chrono::milliseconds(in.i64());
            request = take;
            break;
        }
        case Op::settle: {
            Settle settle;
            const std::size_t n = in.count(kMinOutcomeBytes);
            settle.outcomes.reserve(std::min(n, kMaxReserve));
            for (std::size_t i = 0; i < n; ++i) settle.outcomes.push_back(readOutcome(in));
            request = std::move(settle);
            break;
        }
        case Op::settleAndTake: {
            SettleAndTake fused;
            fused.max = in.u32();
            const std::size_t n = in.count(kMinOutcomeBytes);
            fused.outcomes.reserve(std::min(n, kMaxReserve));
            for (std::size_t i = 0; i < n; ++i) fused.outcomes.push_back(readOutcome(in));
            request = std::move(fused);
            break;
        }
        case Op::hasPending:
            request = HasPending{in.bytes()};
            break;
        case Op::reply: {
            DeliverReply deliver;
            deliver.executionId = in.bytes();
            deliver.reply.status = in.i32();
            const std::size_t n = in.count(kMinHeaderBytes);
            for (std::size_t i = 0; i < n; ++i) {
                std::string name = in.bytes();
                deliver.reply.headers.insert_or_assign(std::move(name), in.bytes());
            }
            deliver.reply.body = in.bytes();
            request = std::move(deliver);
            break;
        }
        default:
            FrameReader::malformed("unknown operation " + std::to_string(op));
    }
    in.end();
    return request;
}

std::string takeAnswer(const std::vector<queue::WorkItem>& items) {
    std::size_t size = 1 + 4;
    for (const auto& item : items) size += sizeOf(item);
    FrameWriter out(size);
    out.u8(static_cast<std::uint8_t>(Status::ok));
    out.u32(static_cast<std::uint32_t>(items.size()));
    for (const auto& item : items) write(out, item);
    return std::move(out).finish();
}

std::string settleAnswer() {
    FrameWriter out(1);
    out.u8(static_cast<std::uint8_t>(Status::ok));
    return std::move(out).finish();
}

std::string hasPendingAnswer(bool pending) {
    FrameWriter out(2);
    out.u8(static_cast<std::uint8_t>(Status::ok));
    out.boolean(pending);
    return std::move(out).finish();
}

std::string errorAnswer(const std::string& error) {
    FrameWriter out(1 + FrameWriter::sizeOf(error));
    out.u8(static_cast<std::uint8_t>(Status::error));
    out.bytes(error);
    return std::move(out).finish();
}

std::vector<queue::WorkItem> decodeTakeAnswer(std::string_view frame) {
    FrameReader in(frame);
    readStatus(in);
    const std::size_t n = in.count(kMinItemBytes);
    std::vector<queue::WorkItem> items;
    items.reserve(std::min(n, kMaxReserve));
    for (std::size_t i = 0; i < n; ++i) items.push_back(readItem(in));
    in.end();
    return items;
}

void decodeSettleAnswer(std::string_view frame) {
    FrameReader in(frame);
    readStatus(in);
    in.end();
}

bool decodeHasPendingAnswer(std::string_view frame) {
    FrameReader in(frame);
    readStatus(in);
    const bool pending = in.boolean();
    in.end();
    return pending;
}

}  // namespace flowgate::ipc::wire
