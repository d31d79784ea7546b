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
