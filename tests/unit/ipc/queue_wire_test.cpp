#include <catch2/catch.hpp>

#include "ipc/queue_wire.hpp"

using namespace flowgate;
using nlohmann::json;

namespace {

// Through CBOR bytes, as on the socket.
json overTheWire(const json& frame) {
    return json::from_cbor(json::to_cbor(frame));
}

}  // namespace

TEST_CASE("work items, outcomes and replies survive the worker link unchanged", "[ipc]") {
    queue::WorkItem item{42, 7ull << 60, "flow-a", "exec-1", "step-1", "{\"id\":\"x\"}", 3};
    const auto back = ipc::wire::decodeItem(overTheWire(ipc::wire::encode(item)));
    CHECK(back.id == 42);
    CHECK(back.leaseToken == 7ull << 60);
    CHECK(back.flowId == "flow-a");
    CHECK(back.executionId == "exec-1");
    CHECK(back.stepId == "step-1");
    CHECK(back.message == item.message);
    CHECK(back.failedAttempts == 3);

    queue::Outcome outcome;
    outcome.itemId = 42;
    outcome.leaseToken = 9;
    outcome.kind = queue::Outcome::Kind::completed;
    outcome.next = {{"flow-a", "exec-1", "step-2", "{}"}};
    outcome.delay = std::chrono::milliseconds(1500);
    outcome.failed = true;
    outcome.error = "boom";
    const auto settled = ipc::wire::decodeOutcome(overTheWire(ipc::wire::encode(outcome)));
    CHECK(settled.itemId == 42);
    CHECK(settled.leaseToken == 9);
    CHECK(settled.kind == queue::Outcome::Kind::completed);
    REQUIRE(settled.next.size() == 1);
    CHECK(settled.next[0].stepId == "step-2");
    CHECK(settled.delay == std::chrono::milliseconds(1500));
    CHECK(settled.failed);
    CHECK(settled.error == "boom");

    HttpReply reply{
        201, {{"Content-Type", "application/octet-stream"}}, std::string("\x00\xff binary", 9)};
    const auto answered = ipc::wire::decodeReply(overTheWire(ipc::wire::encode(reply)));
    CHECK(answered.status == 201);
    CHECK(answered.headers == reply.headers);
    CHECK(answered.body == reply.body);
}

TEST_CASE("an outcome of an unknown kind is refused", "[ipc]") {
    json frame = ipc::wire::encode(queue::Outcome{});
    frame["kind"] = 99;
    CHECK_THROWS_AS(ipc::wire::decodeOutcome(frame), std::invalid_argument);
}

TEST_CASE("the steps chained after an item travel with its outcome", "[ipc][chaining]") {
    queue::Outcome outcome;
    outcome.itemId = 5;
    outcome.chained = {{"log", true, "", 1700000000123, 2500},
                       {"call", false, "upstream said 503", 1700000000126, 40000}};
    const auto settled = ipc::wire::decodeOutcome(overTheWire(ipc::wire::encode(outcome)));
    REQUIRE(settled.chained.size() == 2);
    CHECK(settled.chained[0].stepId == "log");
    CHECK(settled.chained[0].ok);
    CHECK(settled.chained[0].error.empty());
    CHECK(settled.chained[0].startedAtMs == 1700000000123);
    CHECK(settled.chained[0].durationUs == 2500);
    CHECK(settled.chained[1].stepId == "call");
    CHECK_FALSE(settled.chained[1].ok);
    CHECK(settled.chained[1].error == "upstream said 503");
    // An outcome without chained steps carries no list at all.
    CHECK_FALSE(ipc::wire::encode(queue::Outcome{}).contains("chained"));
}
