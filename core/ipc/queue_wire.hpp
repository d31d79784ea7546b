// The frames of the worker link: one module writes and reads them all.
//
// Worker -> intake (each on the worker's one connection, answered in order):
//   {"op":"take","max":N,"waitMs":W}         -> {"items":[item...]} | {"error":text}
//   {"op":"started","id","token","deadlineMs"[,"step"]} (no answer; "step": a chained step)
//   {"op":"settle","outcomes":[outcome...]}  -> {} | {"error":text}
//   {"op":"hasPending","execution":id}       -> {"pending":bool} | {"error":text}
//   {"op":"reply","execution":id,"reply":r}  (no answer)
// Strings that are not UTF-8 travel unchanged: CBOR carries them as bytes here.
#pragma once

#include <chrono>
#include <vector>

#include <nlohmann/json.hpp>

#include "flowgate/step.hpp"
#include "queue/queue.hpp"

namespace flowgate::ipc::wire {

nlohmann::json encode(const queue::WorkItem& item);
queue::WorkItem decodeItem(const nlohmann::json& frame);

nlohmann::json encode(const queue::Outcome& outcome);
queue::Outcome decodeOutcome(const nlohmann::json& frame);

nlohmann::json encode(const HttpReply& reply);
HttpReply decodeReply(const nlohmann::json& frame);

nlohmann::json encodeItems(const std::vector<queue::WorkItem>& items);
std::vector<queue::WorkItem> decodeItems(const nlohmann::json& list);
nlohmann::json encodeOutcomes(const std::vector<queue::Outcome>& outcomes);
std::vector<queue::Outcome> decodeOutcomes(const nlohmann::json& list);

}  // namespace flowgate::ipc::wire
