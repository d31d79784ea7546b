// The worker link's frames: every request and answer reads back as written, and a frame
// that is cut short or corrupted is refused with LinkError, never read past its end.
#include <catch2/catch.hpp>

#include <functional>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "ipc/frame_socket.hpp"
#include "ipc/queue_wire.hpp"

using namespace flowgate;
using namespace std::chrono_literals;
using ipc::LinkError;
namespace wire = ipc::wire;

namespace {

const std::string kBinary("\x00\xff\xfe\x80{\"a\":1}\xc3\x28\x00", 14);

std::vector<queue::WorkItem> items() {
    return {
        {42, 7ull << 60, "flow-a", "exec-1", "step-1", "{\"id\":\"x\"}", 3},
        {std::numeric_limits<std::int64_t>::max(), std::numeric_limits<std::uint64_t>::max(),
         "", "", "", "", std::numeric_limits<int>::max()},
        {-1, 0, "flow-b", "exec-2", "step-2", kBinary, 0},
    };
}

std::vector<queue::Outcome> outcomes() {
    std::vector<queue::Outcome> list(4);
    list[0].itemId = 42;
    list[0].leaseToken = 9;
    list[0].kind = queue::Outcome::Kind::completed;
    list[0].next = {{"flow-a", "exec-1", "step-2", kBinary}, {"", "", "", ""}};
    // Steps chained after the item's own (runtime/step_chain.hpp).
    list[0].chained = {{"log", true, "", 1700000000123, 2500},
                       {"call", false, "upstream said 503 \xff", -1, std::numeric_limits<std::int64_t>::max()}};
    list[0].durationUs = 1234;  // how long the item's own step ran
    list[3].durationUs = std::numeric_limits<std::int64_t>::max();
    list[1].itemId = std::numeric_limits<std::int64_t>::min();
    list[1].leaseToken = std::numeric_limits<std::uint64_t>::max();
    list[1].kind = queue::Outcome::Kind::retry;
    list[1].delay = -1500ms;
    list[1].failed = true;
    list[1].error = "boom \xff";
    list[2].kind = queue::Outcome::Kind::wait;
    list[2].delay = 86'400'000ms;
    list[2].message = kBinary;
    list[2].waitToken = "token";
    list[3].kind = queue::Outcome::Kind::deadLetter;
    list[3].error = std::string(1000, 'e');
    return list;
}

void checkSame(const queue::WorkItem& a, const queue::WorkItem& b) {
    CHECK(a.id == b.id);
    CHECK(a.leaseToken == b.leaseToken);
    CHECK(a.flowId == b.flowId);
    CHECK(a.executionId == b.executionId);
    CHECK(a.stepId == b.stepId);
    CHECK(a.message == b.message);
    CHECK(a.failedAttempts == b.failedAttempts);
}

void checkSame(const queue::Outcome& a, const queue::Outcome& b) {
    CHECK(a.itemId == b.itemId);
    CHECK(a.leaseToken == b.leaseToken);
    CHECK(a.kind == b.kind);
    REQUIRE(a.next.size() == b.next.size());
    for (std::size_t i = 0; i < a.next.size(); ++i) {
        CHECK(a.next[i].flowId == b.next[i].flowId);
        CHECK(a.next[i].executionId == b.next[i].executionId);
        CHECK(a.next[i].stepId == b.next[i].stepId);
        CHECK(a.next[i].message == b.next[i].message);
    }
    CHECK(a.delay == b.delay);
    CHECK(a.failed == b.failed);
    CHECK(a.error == b.error);
    CHECK(a.message == b.message);
    CHECK(a.waitToken == b.waitToken);
    REQUIRE(a.chained.size() == b.chained.size());
    for (std::size_t i = 0; i < a.chained.size(); ++i) {
        CHECK(a.chained[i].stepId == b.chained[i].stepId);
        CHECK(a.chained[i].ok == b.chained[i].ok);
        CHECK(a.chained[i].error == b.chained[i].error);
        CHECK(a.chained[i].startedAtMs == b.chained[i].startedAtMs);
        CHECK(a.chained[i].durationUs == b.chained[i].durationUs);
    }
    CHECK(a.durationUs == b.durationUs);
}

HttpReply reply() {
    return {201,
            {{"Content-Type", "application/octet-stream"}, {"X-Empty", ""}},
            std::string("\x00\xff binary", 9)};
}

// Every valid frame kind, each with a decoder that reads it the way its receiver does.
struct Sample {
    std::string name;
    std::string frame;
    std::function<void(std::string_view)> decode;
};

std::vector<Sample> samples() {
    const auto request = [](std::string_view f) { wire::decodeRequest(f); };
    const auto take = [](std::string_view f) { wire::decodeTakeAnswer(f); };
    return {
        {"take request", wire::takeRequest(32, 1000ms), request},
        {"settle request", wire::settleRequest(outcomes()), request},
        {"settleAndTake request", wire::settleAndTakeRequest(outcomes(), 32), request},
        {"hasPending request", wire::hasPendingRequest("exec-1"), request},
        {"reply request", wire::replyRequest("exec-1", reply()), request},
        {"take answer", wire::takeAnswer(items()), take},
        {"settle answer", wire::settleAnswer(), wire::decodeSettleAnswer},
        {"hasPending answer", wire::hasPendingAnswer(true),
         [](std::string_view f) { wire::decodeHasPendingAnswer(f); }},
        {"error answer", wire::errorAnswer("queue full"), take},
    };
}

// Decodes `frame`: true if it read as a valid frame, false if it was refused as the
// link's error; any other exception fails the test (an error answer that reads whole
// is a valid frame).
bool readsWhole(const Sample& sample, std::string_view frame) {
    try {
        sample.decode(frame);
        return true;
    } catch (const LinkError&) {
        return false;
    } catch (const queue::QueueUnavailable&) {
        return true;
    }
}

}  // namespace

TEST_CASE("worker link: every request reads back as written", "[ipc]") {
    const auto take = std::get<wire::Take>(wire::decodeRequest(wire::takeRequest(32, 1000ms)));
    CHECK(take.max == 32);
    CHECK(take.wait == 1000ms);
    const auto none = std::get<wire::Take>(wire::decodeRequest(wire::takeRequest(0, -5ms)));
    CHECK(none.max == 0);
    CHECK(none.wait == -5ms);
    const auto clamped = std::get<wire::Take>(
        wire::decodeRequest(wire::takeRequest(std::numeric_limits<std::size_t>::max(), 0ms)));
    CHECK(clamped.max == std::numeric_limits<std::uint32_t>::max());

    const auto sent = outcomes();
    auto settle = std::get<wire::Settle>(wire::decodeRequest(wire::settleRequest(sent)));
    REQUIRE(settle.outcomes.size() == sent.size());
    for (std::size_t i = 0; i < sent.size(); ++i) checkSame(settle.outcomes[i], sent[i]);
    CHECK(std::get<wire::Settle>(wire::decodeRequest(wire::settleRequest({}))).outcomes.empty());

    auto fused = std::get<wire::SettleAndTake>(
        wire::decodeRequest(wire::settleAndTakeRequest(sent, 32)));
    CHECK(fused.max == 32);
    REQUIRE(fused.outcomes.size() == sent.size());
    for (std::size_t i = 0; i < sent.size(); ++i) checkSame(fused.outcomes[i], sent[i]);
    const auto settleOnly =
        std::get<wire::SettleAndTake>(wire::decodeRequest(wire::settleAndTakeRequest({}, 0)));
    CHECK(settleOnly.max == 0);
    CHECK(settleOnly.outcomes.empty());

    CHECK(std::get<wire::HasPending>(wire::decodeRequest(wire::hasPendingRequest("exec-9")))
              .executionId == "exec-9");
    CHECK(std::get<wire::HasPending>(wire::decodeRequest(wire::hasPendingRequest("")))
              .executionId.empty());

    const auto deliver =
        std::get<wire::DeliverReply>(wire::decodeRequest(wire::replyRequest("exec-1", reply())));
    CHECK(deliver.executionId == "exec-1");
    CHECK(deliver.reply.status == 201);
    CHECK(deliver.reply.headers == reply().headers);
    CHECK(deliver.reply.body == reply().body);
    const auto bare =
        std::get<wire::DeliverReply>(wire::decodeRequest(wire::replyRequest("e", HttpReply{})));
    CHECK(bare.reply.status == 200);
    CHECK(bare.reply.headers.empty());
    CHECK(bare.reply.body.empty());
}

TEST_CASE("worker link: every answer reads back as written, an error answer as QueueUnavailable",
          "[ipc]") {
    const auto sent = items();
    const auto taken = wire::decodeTakeAnswer(wire::takeAnswer(sent));
    REQUIRE(taken.size() == sent.size());
    for (std::size_t i = 0; i < sent.size(); ++i) checkSame(taken[i], sent[i]);
    CHECK(wire::decodeTakeAnswer(wire::takeAnswer({})).empty());

    CHECK_NOTHROW(wire::decodeSettleAnswer(wire::settleAnswer()));
    CHECK(wire::decodeHasPendingAnswer(wire::hasPendingAnswer(true)));
    CHECK_FALSE(wire::decodeHasPendingAnswer(wire::hasPendingAnswer(false)));

    const std::string error = wire::errorAnswer("queue full (100000 items)");
    CHECK_THROWS_MATCHES(wire::decodeTakeAnswer(error), queue::QueueUnavailable,
                         Catch::Message("queue full (100000 items)"));
    CHECK_THROWS_AS(wire::decodeSettleAnswer(error), queue::QueueUnavailable);
    CHECK_THROWS_AS(wire::decodeHasPendingAnswer(error), queue::QueueUnavailable);
}

TEST_CASE("worker link: a 16 MiB message of arbitrary bytes travels in one frame", "[ipc]") {
    std::string message(16 * 1024 * 1024, '\0');
    std::mt19937 random(7);
    for (auto& c : message) c = static_cast<char>(random());
    queue::WorkItem item{1, 2, "f", "e", "s", message, 0};
    const std::string frame = wire::takeAnswer({item});
    const auto taken = wire::decodeTakeAnswer(frame);
    REQUIRE(taken.size() == 1);
    CHECK(taken[0].message == message);
}

TEST_CASE("worker link: an outcome of an unknown kind or an unknown operation is refused",
          "[ipc]") {
    queue::Outcome outcome;
    std::string frame = wire::settleRequest({outcome});
    // op, count, id, token, then the kind
    const std::size_t kindAt = 1 + 4 + 8 + 8;
    REQUIRE(frame[kindAt] == static_cast<char>(queue::Outcome::Kind::completed));
    frame[kindAt] = 99;
    CHECK_THROWS_WITH(wire::decodeRequest(frame), Catch::Contains("unknown outcome kind 99"));

    std::string unknown = wire::hasPendingRequest("e");
    unknown[0] = 42;
    CHECK_THROWS_WITH(wire::decodeRequest(unknown), Catch::Contains("unknown operation 42"));
    unknown[0] = 2;  // once `started`: the step slot says that now
    CHECK_THROWS_WITH(wire::decodeRequest(unknown), Catch::Contains("unknown operation 2"));
    CHECK_THROWS_AS(wire::decodeRequest(""), LinkError);

    std::string status = wire::settleAnswer();
    status[0] = 2;
    CHECK_THROWS_WITH(wire::decodeSettleAnswer(status), Catch::Contains("unknown answer status"));
}

TEST_CASE("worker link: every truncation of a valid frame, and a byte too many, is refused",
          "[ipc]") {
    for (const auto& sample : samples()) {
        INFO(sample.name);
        REQUIRE(readsWhole(sample, sample.frame));
        for (std::size_t size = 0; size < sample.frame.size(); ++size) {
            // A copy of exactly `size` bytes, so a read past it is an error AddressSanitizer sees.
            const std::string cut = sample.frame.substr(0, size);
            INFO("cut to " << size << " of " << sample.frame.size() << " bytes");
            CHECK_THROWS_AS(sample.decode(cut), LinkError);
        }
        CHECK_THROWS_AS(sample.decode(sample.frame + '\0'), LinkError);
    }
}

TEST_CASE("worker link: corrupted frames are refused or read, never read past their end",
          "[ipc]") {
    std::mt19937 random(20261202);
    for (const auto& sample : samples()) {
        INFO(sample.name);
        // Every byte set to the values that make the largest and smallest lengths, counts
        // and kinds; then random bytes at random places.
        std::size_t refused = 0;
        for (std::size_t at = 0; at < sample.frame.size(); ++at) {
            for (const char value : {'\x00', '\x01', '\x7f', '\x80', '\xff'}) {
                std::string corrupt = sample.frame;
                corrupt[at] = value;
                if (!readsWhole(sample, corrupt)) ++refused;
            }
        }
        for (int round = 0; round < 2000; ++round) {
            std::string corrupt = sample.frame;
            const int changes = 1 + static_cast<int>(random() % 4);
            for (int c = 0; c < changes; ++c)
                corrupt[random() % corrupt.size()] = static_cast<char>(random());
            if (!readsWhole(sample, corrupt)) ++refused;
        }
        // Some corruptions only change a value, but many must break the frame.
        CHECK(refused > 0);
    }
}
