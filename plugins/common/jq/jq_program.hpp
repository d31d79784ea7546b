// A jq program compiled once and run for many messages, from many threads at once.
// Shared by the plugins that evaluate jq (target flowgate_plugin_jq): include
// "jq/jq_program.hpp".
//
//   JqProgram text(config.at("text"));                 // throws: config error at createStep
//   json value = text.onlyOutput(json(message), debug); // throws: the run fails
#pragma once

#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

struct jq_state;

namespace flowgate::plugins::jq {

// libjq's jq_state runs one program at a time and is not thread-safe, while a step runs
// for many messages at once. So each run borrows a compiled state from a pool, which grows
// to the number of runs in flight; the states are torn down with the program. All methods
// are thread-safe.
class JqProgram {
public:
    // Receives what the program's `debug` builtin shows; may be empty (dropped).
    using DebugSink = std::function<void(std::string_view)>;

    // Throws std::invalid_argument with jq's messages if `expression` does not compile.
    explicit JqProgram(std::string expression);
    ~JqProgram();
    JqProgram(const JqProgram&) = delete;
    JqProgram& operator=(const JqProgram&) = delete;

    // Every output of the program for `input`, in order. Throws std::runtime_error with
    // jq's message on a runtime error, or when there would be more than `maxOutputs`.
    std::vector<nlohmann::json> outputs(const nlohmann::json& input, std::size_t maxOutputs,
                                        const DebugSink& debug = {});

    // The program's one output for `input`, for programs that compute a value (a text, a
    // condition's operand, ...). Throws std::runtime_error when it has no output or more
    // than one (a third is never computed), and like outputs() on jq errors.
    nlohmann::json onlyOutput(const nlohmann::json& input, const DebugSink& debug = {});

    // Whether the program's first output for `input` is neither false nor null (false when
    // there is none); later outputs are never computed. Throws like outputs().
    bool firstOutputIsTruthy(const nlohmann::json& input, const DebugSink& debug = {});

private:
    class Lease;
    jq_state* compile() const;

    const std::string expression_;
    std::mutex mutex_;
    std::vector<jq_state*> idle_;  // compiled states no run holds
};

}  // namespace flowgate::plugins::jq
