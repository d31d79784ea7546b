// Encode + decode of the worker link's two heaviest frames, as the intake and a worker do
// them once per batch (issue 9):
//   take    the intake's answer to a take: 32 items with 1 KiB messages;
//   settle  a worker's settle: 32 completed outcomes, each emitting one 1 KiB message.
// One round times `iterations` round trips (frame built as it goes on the socket, then read
// back into structs); prints the median, min and max over the rounds in microseconds per
// round trip.
//
//   wire_bench [--rounds R] [--iterations N]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "ipc/queue_wire.hpp"
#include "rounds_option.hpp"

using flowgate::queue::Outcome;
using flowgate::queue::WorkItem;
using Clock = std::chrono::steady_clock;
namespace wire = flowgate::ipc::wire;

namespace {

constexpr std::size_t kBatch = 32;
constexpr std::size_t kMessageBytes = 1024;

std::string message(std::size_t i) {
    std::string text = "{\"id\":\"" + std::to_string(i) + "\",\"body\":\"";
    text.resize(kMessageBytes - 2, 'x');
    return text + "\"}";
}

std::vector<WorkItem> takeAnswer() {
    std::vector<WorkItem> items;
    for (std::size_t i = 0; i < kBatch; ++i)
        items.push_back({static_cast<std::int64_t>(1000 + i), 0x1234567890ull + i, "hello",
                         "5f0c2a9e-7b1d-4c3e-9a8f-" + std::to_string(100000000000 + i), "log",
                         message(i), 0});
    return items;
}

std::vector<Outcome> settle() {
    std::vector<Outcome> outcomes;
    for (std::size_t i = 0; i < kBatch; ++i) {
        Outcome outcome;
        outcome.itemId = static_cast<std::int64_t>(1000 + i);
        outcome.leaseToken = 0x1234567890ull + i;
        outcome.next = {{"hello", "5f0c2a9e-7b1d-4c3e-9a8f-" + std::to_string(100000000000 + i),
                         "log", message(i)}};
        outcomes.push_back(std::move(outcome));
    }
    return outcomes;
}

// The frame bodies as FrameSocket sends and receives them (it adds only the length).
std::size_t roundTrip(const std::vector<WorkItem>& items) {
    const std::string body = wire::takeAnswer(items);
    return wire::decodeTakeAnswer(body).size();
}

std::size_t roundTrip(const std::vector<Outcome>& outcomes) {
    const std::string body = wire::settleRequest(outcomes);
    return std::get<wire::Settle>(wire::decodeRequest(body)).outcomes.size();
}

template <class Batch>
void measure(const char* name, const Batch& batch, int rounds, int iterations) {
    std::vector<double> perTrip;
    std::size_t decoded = 0;
    for (int r = 0; r < rounds; ++r) {
        const auto start = Clock::now();
        for (int i = 0; i < iterations; ++i) decoded += roundTrip(batch);
        const std::chrono::duration<double, std::micro> spent = Clock::now() - start;
        perTrip.push_back(spent.count() / iterations);
    }
    if (decoded != batch.size() * static_cast<std::size_t>(rounds) * iterations) std::abort();
    std::sort(perTrip.begin(), perTrip.end());
    std::printf("%-7s median %8.2f us  min %8.2f  max %8.2f  (%d rounds of %d)\n", name,
                perTrip[perTrip.size() / 2], perTrip.front(), perTrip.back(), rounds, iterations);
}

}  // namespace

int main(int argc, char** argv) {
    flowgate::bench::Rounds options{15, 2000};
    if (!flowgate::bench::readRounds(argc, argv, options)) return 2;
    const auto [rounds, iterations] = options;
    measure("take", takeAnswer(), rounds, iterations);
    measure("settle", settle(), rounds, iterations);
}
