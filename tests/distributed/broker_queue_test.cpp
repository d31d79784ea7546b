// The distributed Queue on real servers: a private RabbitMQ and a private PostgreSQL.
// An "ingress" and a "worker" are two BrokerQueues on links of their own, as two
// processes (or machines) would have.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include "broker/amqp_link.hpp"
#include "broker/broker_error.hpp"
#include "broker/broker_queue.hpp"
#include "broker/work_topology.hpp"
#include "distributed/shared_broker.hpp"
#include "state/postgres_state.hpp"
#include "support/engine_process.hpp"
#include "support/postgres_server.hpp"

using namespace flowgate;
using namespace flowgate::broker;
using namespace std::chrono_literals;
using flowgate::test::sharedBroker;
using flowgate::test::uniqueName;

namespace {

// One process's view: its link, and the queue over it and the shared state.
struct Node {
    Node(const WorkTopology& topology, state::SharedState& state, bool worker,
         LinkOptions options = {})
        : replyQueue(topology.newReplyQueueName()),
          link(BrokerAddress::parse(test::sharedBroker().url()),
               topology.declarationsWithReplyQueue(replyQueue), options),
          queue(link, topology, state, BrokerQueueOptions{replyQueue, 100ms, 100}) {
        if (worker) queue.consumeWork(16);
        REQUIRE(link.waitReady(20s));
    }
    std::string replyQueue;
    AmqpLink link;
    BrokerQueue queue;
};

struct Cluster {
    Cluster() : topology({uniqueName("q"), 50}), state(openState()) {}
    static std::unique_ptr<state::SharedState> openState() {
        state::PostgresStateOptions options;
        options.url = test::PostgresServer::shared().createSchema();
        return state::openPostgresState(options);
    }
    WorkTopology topology;
    std::unique_ptr<state::SharedState> state;
};

queue::NewWorkItem item(const std::string& executionId, const std::string& step,
                        const std::string& message, const std::string& flow = "orders") {
    return {flow, executionId, step, message};
}

std::vector<queue::WorkItem> takeAll(queue::Queue& q, std::size_t count,
                                     std::chrono::milliseconds within = 10s) {
    std::vector<queue::WorkItem> items;
    const auto deadline = std::chrono::steady_clock::now() + within;
    while (items.size() < count && std::chrono::steady_clock::now() < deadline) {
        for (auto& i : q.take(count - items.size(), 30s, 200ms)) items.push_back(std::move(i));
    }
    return items;
}

queue::Outcome completed(const queue::WorkItem& taken, std::vector<queue::NewWorkItem> next = {}) {
    queue::Outcome outcome;
    outcome.itemId = taken.id;
    outcome.leaseToken = taken.leaseToken;
    outcome.kind = queue::Outcome::Kind::completed;
    outcome.next = std::move(next);
    return outcome;
}

}  // namespace

TEST_CASE("broker queue: an item enqueued at one node runs at another, its outputs after it") {
    Cluster c;
    Node ingress(c.topology, *c.state, false);
    Node worker(c.topology, *c.state, true);

    ingress.queue.enqueue({item("exec-1", "transform", R"({"n":1})")});
    auto taken = takeAll(worker.queue, 1);
    REQUIRE(taken.size() == 1);
    CHECK(taken[0].flowId == "orders");
    CHECK(taken[0].executionId == "exec-1");
    CHECK(taken[0].stepId == "transform");
    CHECK(taken[0].message == R"({"n":1})");
    CHECK(taken[0].failedAttempts == 0);
    CHECK(c.state->hasPending("exec-1"));
    // The ingress never consumes work.
    CHECK(ingress.queue.take(1, 30s, 300ms).empty());

    worker.queue.settle(
        {completed(taken[0], {item("exec-1", "log", "a"), item("exec-1", "log", "b")})});
    auto outputs = takeAll(worker.queue, 2);
    REQUIRE(outputs.size() == 2);
    std::set<std::string> messages{outputs[0].message, outputs[1].message};
    CHECK(messages == std::set<std::string>{"a", "b"});
    worker.queue.settle({completed(outputs[0]), completed(outputs[1])});
    CHECK_FALSE(c.state->hasPending("exec-1"));
    const auto detail = c.state->execution("exec-1");
    REQUIRE(detail);
    CHECK(detail->execution.status == "succeeded");
}

TEST_CASE("broker queue: a failed attempt comes back after its delay with the attempt counted") {
    Cluster c;
    Node ingress(c.topology, *c.state, false);
    Node worker(c.topology, *c.state, true);
    ingress.queue.enqueue({item("exec-r", "flaky", "m")});
    auto taken = takeAll(worker.queue, 1);
    REQUIRE(taken.size() == 1);
    queue::Outcome retry;
    retry.itemId = taken[0].id;
    retry.leaseToken = taken[0].leaseToken;
    retry.kind = queue::Outcome::Kind::retry;
    retry.failed = true;
    retry.error = "boom";
    retry.delay = 800ms;
    const auto settled = std::chrono::steady_clock::now();
    worker.queue.settle({retry});
    auto again = takeAll(worker.queue, 1);
    REQUIRE(again.size() == 1);
    CHECK(std::chrono::steady_clock::now() - settled >= 750ms);
    CHECK(again[0].failedAttempts == 1);
    CHECK(again[0].message == "m");
    worker.queue.settle({completed(again[0])});
    CHECK_FALSE(c.state->hasPending("exec-r"));
}

TEST_CASE("broker queue: one delivery id across two ingresses is stored once") {
    Cluster c;
    Node first(c.topology, *c.state, false);
    Node second(c.topology, *c.state, false);
    Node worker(c.topology, *c.state, true);
    const std::string key = "orders\ndelivery-42";
    std::optional<std::string> a, b;
    std::thread t1(
        [&] { a = first.queue.enqueueOnce(key, 60s, "exec-a", {item("exec-a", "s", "x")}); });
    std::thread t2(
        [&] { b = second.queue.enqueueOnce(key, 60s, "exec-b", {item("exec-b", "s", "x")}); });
    t1.join();
    t2.join();
    // Exactly one stored (nullopt); the other got the winner's execution id.
    REQUIRE(a.has_value() != b.has_value());
    const std::string winner = a ? "exec-b" : "exec-a";
    CHECK((a ? *a : *b) == winner);
    auto taken = takeAll(worker.queue, 1);
    REQUIRE(taken.size() == 1);
    CHECK(taken[0].executionId == winner);
    CHECK(worker.queue.take(1, 30s, 500ms).empty());
    worker.queue.settle({completed(taken[0])});
}

TEST_CASE("broker queue: while the broker is down enqueue fails and nothing is kept") {
    Cluster c;
    LinkOptions options;
    options.reconnectMax = 300ms;
    Node ingress(c.topology, *c.state, false, options);
    auto& server = sharedBroker();
    server.kill9();
    REQUIRE(test::eventually([&] { return !ingress.link.ready(); }));
    CHECK_THROWS_AS(ingress.queue.enqueue({item("exec-down", "s", "x")}), queue::QueueUnavailable);
    CHECK_THROWS_AS(ingress.queue.enqueueOnce("orders\nd-1", 60s, "exec-down-2",
                                              {item("exec-down-2", "s", "x")}),
                    queue::QueueUnavailable);
    CHECK_FALSE(c.state->hasPending("exec-down"));
    CHECK_FALSE(c.state->execution("exec-down"));
    server.start();
    REQUIRE(ingress.link.waitReady(30s));
    // The refused delivery id was forgotten: the sender's retry is stored, not a duplicate.
    CHECK_FALSE(
        ingress.queue.enqueueOnce("orders\nd-1", 60s, "exec-up", {item("exec-up", "s", "x")}));
    Node worker(c.topology, *c.state, true);
    auto taken = takeAll(worker.queue, 1);
    REQUIRE(taken.size() == 1);
    CHECK(taken[0].executionId == "exec-up");
    worker.queue.settle({completed(taken[0])});
}

TEST_CASE("broker queue loss test: kill -9 of the broker under load loses no accepted item") {
    Cluster c;
    LinkOptions options;
    options.reconnectMax = 300ms;
    Node ingress(c.topology, *c.state, false, options);
    Node worker(c.topology, *c.state, true, options);
    auto& server = sharedBroker();
    // Quorum queues just declared must reach the broker's metadata store (PLATFORM.md).
    std::this_thread::sleep_for(1500ms);

    using Clock = std::chrono::steady_clock;
    std::mutex mutex;
    std::map<std::string, Clock::time_point> accepted;  // execution -> when it was confirmed
    std::map<std::string, int> processed;
    std::atomic<int> refused{0};
    std::atomic<bool> producing{true}, consuming{true};

    std::vector<std::thread> producers;
    for (int p = 0; p < 2; ++p) {
        producers.emplace_back([&, p] {
            for (int i = 0; producing; ++i) {
                const std::string id = "load-" + std::to_string(p) + "-" + std::to_string(i);
                try {
                    ingress.queue.enqueue({item(id, "s", id)});
                    std::lock_guard lock(mutex);
                    accepted[id] = Clock::now();
                } catch (const queue::QueueUnavailable&) {
                    ++refused;
                    std::this_thread::sleep_for(20ms);
                }
            }
        });
    }
    std::thread consumer([&] {
        while (consuming) {
            auto taken = worker.queue.take(16, 30s, 100ms);
            if (taken.empty()) continue;
            std::vector<queue::Outcome> outcomes;
            for (const auto& t : taken) outcomes.push_back(completed(t));
            try {
                worker.queue.settle(outcomes);
                std::lock_guard lock(mutex);
                for (const auto& t : taken) ++processed[t.executionId];
            } catch (const queue::QueueUnavailable&) {
                // Given back: they come again once the broker is back.
            }
        }
    });

    std::vector<std::pair<Clock::time_point, Clock::time_point>> down;
    for (int round = 0; round < 3; ++round) {
        std::this_thread::sleep_for(1500ms);
        server.kill9();
        const auto killed = Clock::now();
        std::this_thread::sleep_for(700ms);
        const auto restarting = Clock::now();
        server.start();
        down.emplace_back(killed, restarting);
        REQUIRE(ingress.link.waitReady(30s));
        REQUIRE(worker.link.waitReady(30s));
    }
    std::this_thread::sleep_for(1s);
    producing = false;
    for (auto& t : producers) t.join();

    // Every accepted item is processed.
    const bool allDone = test::eventually(
        [&] {
            std::lock_guard lock(mutex);
            for (const auto& [id, when] : accepted)
                if (!processed.count(id)) return false;
            return true;
        },
        60s);
    consuming = false;
    consumer.join();
    std::lock_guard lock(mutex);
    std::size_t missing = 0, duplicates = 0, acceptedWhileDown = 0;
    for (const auto& [id, when] : accepted) {
        if (!processed.count(id)) ++missing;
        // A confirm read just before the kill may reach its caller a moment after.
        for (const auto& [from, to] : down)
            if (when > from + 200ms && when < to) ++acceptedWhileDown;
    }
    for (const auto& [id, count] : processed)
        if (count > 1) ++duplicates;
    INFO("accepted " << accepted.size() << ", refused " << refused << ", processed "
                     << processed.size() << ", duplicates " << duplicates);
    CHECK(allDone);
    CHECK(missing == 0);
    CHECK(acceptedWhileDown == 0);
    CHECK(accepted.size() > 100);
    CHECK(refused > 0);
    // At least once: a duplicate needs a crash between a settle's commit and its ack, at
    // most the deliveries a worker holds (its prefetch) per broker kill.
    CHECK(duplicates <= 3 * 16);
}

TEST_CASE("broker queue: a dead letter is kept in the state and a replay runs it again") {
    Cluster c;
    Node ingress(c.topology, *c.state, false);
    Node worker(c.topology, *c.state, true);
    ingress.queue.enqueue({item("exec-d", "broken", "m")});
    auto taken = takeAll(worker.queue, 1);
    REQUIRE(taken.size() == 1);
    queue::Outcome dead;
    dead.itemId = taken[0].id;
    dead.leaseToken = taken[0].leaseToken;
    dead.kind = queue::Outcome::Kind::deadLetter;
    dead.failed = true;
    dead.error = "gave up";
    worker.queue.settle({dead});
    CHECK_FALSE(c.state->hasPending("exec-d"));
    const auto page = ingress.queue.admin()->deadLetterPage({});
    REQUIRE(page.items.size() == 1);
    CHECK(page.items[0].error == "gave up");
    CHECK(page.items[0].message == "m");

    // Replayed from the other node: back in the broker, run again with fresh attempts.
    REQUIRE(ingress.queue.admin()->replayDeadLetter(page.items[0].id) == "exec-d");
    auto again = takeAll(worker.queue, 1);
    REQUIRE(again.size() == 1);
    CHECK(again[0].executionId == "exec-d");
    CHECK(again[0].stepId == "broken");
    CHECK(again[0].message == "m");
    CHECK(again[0].failedAttempts == 0);
    worker.queue.settle({completed(again[0])});
    CHECK(ingress.queue.admin()->deadLetterPage({}).items.empty());
}

TEST_CASE("broker queue: a parked item runs again when resumed, or when its wait times out") {
    Cluster c;
    Node ingress(c.topology, *c.state, false);
    Node worker(c.topology, *c.state, true);
    ingress.queue.enqueue({item("exec-w", "approve", "asked"), item("exec-w", "approve", "asked")});
    auto taken = takeAll(worker.queue, 2);
    REQUIRE(taken.size() == 2);
    auto park = [](const queue::WorkItem& t, std::chrono::milliseconds timeout,
                   const std::string& token) {
        queue::Outcome wait;
        wait.itemId = t.id;
        wait.leaseToken = t.leaseToken;
        wait.kind = queue::Outcome::Kind::wait;
        wait.message = "parked";
        wait.waitToken = token;
        wait.delay = timeout;
        return wait;
    };
    worker.queue.settle({park(taken[0], 60s, "token-a"), park(taken[1], 700ms, "token-b")});

    // The one that times out comes back by itself (housekeeping publishes it).
    auto timedOut = takeAll(worker.queue, 1);
    REQUIRE(timedOut.size() == 1);
    CHECK(timedOut[0].message == "parked");
    worker.queue.settle({completed(timedOut[0])});

    // The other is resumed through the ingress, once.
    const auto parked = ingress.queue.waiting("exec-w");
    REQUIRE(parked.size() == 1);
    CHECK(parked[0].waitToken == "token-a");
    CHECK_FALSE(ingress.queue.resume(parked[0].id, "wrong", "x"));
    CHECK(ingress.queue.resume(parked[0].id, "token-a", "answered"));
    CHECK_FALSE(ingress.queue.resume(parked[0].id, "token-a", "again"));
    auto resumed = takeAll(worker.queue, 1);
    REQUIRE(resumed.size() == 1);
    CHECK(resumed[0].message == "answered");
    worker.queue.settle({completed(resumed[0])});
    CHECK_FALSE(c.state->hasPending("exec-w"));
}
