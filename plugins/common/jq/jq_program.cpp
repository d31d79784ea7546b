#include "jq_program.hpp"

#include <new>
#include <optional>
#include <stdexcept>
#include <utility>

#include "jv_json.hpp"
#include "libjq.hpp"

namespace flowgate::plugins::jq {

namespace {

// libjq 1.6 promises nothing about threads. Runs on separate states share nothing (the
// concurrency test checks it); compiling is rare, as a step compiles only as many states as
// it has runs in flight, so it is done one at a time rather than trusted as well.
std::mutex compileMutex;

std::string dump(const Jv& value) {
    Jv text(jv_dump_string(value.copy(), 0));
    return stringValue(text.get());
}

std::string withoutTrailingNewlines(std::string text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    return text;
}

// The callbacks below are called from C: an exception must not leave them.

void collectCompileError(void* errors, jv message) noexcept {
    Jv owned(message);
    try {
        auto& text = *static_cast<std::string*>(errors);
        if (!text.empty()) text += '\n';
        text += withoutTrailingNewlines(owned.kind() == JV_KIND_STRING ? stringValue(owned.get())
                                                                      : dump(owned));
    } catch (...) {
        // Losing the text of an error to a failed allocation still fails the compile.
    }
}

void discardError(void*, jv message) noexcept { jv_free(message); }

void forwardDebug(void* sink, jv value) noexcept {
    Jv owned(value);
    try {
        (*static_cast<const JqProgram::DebugSink*>(sink))("jq debug: " + dump(owned));
    } catch (...) {
        // Debug output is best effort; it must not change what the program does.
    }
}

std::string errorText(Jv message) {
    if (message.kind() == JV_KIND_STRING) return "jq: error: " + stringValue(message.get());
    return "jq: error (not a string): " + dump(message);
}

// `halt` ends a program like running out of outputs; `halt_error` (exit code 5 unless
// given) is a failure carrying the program's message.
void throwIfHaltedWithError(jq_state* state) {
    Jv code(jq_get_exit_code(state));
    if (code.kind() == JV_KIND_INVALID) return;
    if (code.kind() == JV_KIND_NUMBER && jv_number_value(code.get()) == 0) return;
    Jv message(jq_get_error_message(state));
    std::string text = withoutTrailingNewlines(
        message.kind() == JV_KIND_STRING ? stringValue(message.get()) : dump(message));
    throw std::runtime_error("jq: error: program halted with exit code " + dump(code) +
                             (text.empty() ? "" : ": " + text));
}

// Runs the program on `input`, handing each output to `onOutput` until it returns false.
template <typename OnOutput>
void run(jq_state* state, const nlohmann::json& input, OnOutput&& onOutput) {
    jq_start(state, toJv(input).release(), 0);
    for (;;) {
        Jv output(jq_next(state));
        if (output.kind() != JV_KIND_INVALID) {
            if (!onOutput(std::move(output))) return;
            continue;
        }
        if (jv_invalid_has_msg(output.copy()))
            throw std::runtime_error(errorText(Jv(jv_invalid_get_msg(output.release()))));
        if (jq_halted(state)) throwIfHaltedWithError(state);
        return;
    }
}

}  // namespace

// One run's hold on a compiled state, taken from the pool or compiled anew.
class JqProgram::Lease {
public:
    Lease(JqProgram& program, const DebugSink& debug) : program_(program) {
        {
            std::lock_guard lock(program_.mutex_);
            if (!program_.idle_.empty()) {
                state_ = program_.idle_.back();
                program_.idle_.pop_back();
            }
        }
        if (state_ == nullptr) state_ = program_.compile();
        if (debug) jq_set_debug_cb(state_, forwardDebug, const_cast<DebugSink*>(&debug));
    }

    ~Lease() {
        // jq 1.6 frees a halted state's exit code and message on every reset without
        // forgetting them, so the next reset frees them again: a state that ran halt_error
        // is torn down (one reset) and never reused.
        if (jq_halted(state_)) {
            jq_teardown(&state_);
            return;
        }
        jq_set_debug_cb(state_, nullptr, nullptr);
        // Drops the values of the last run now, so an idle state does not pin a large message.
        jq_start(state_, jv_null(), 0);
        std::lock_guard lock(program_.mutex_);
        try {
            program_.idle_.push_back(state_);
        } catch (...) {
            jq_teardown(&state_);
        }
    }

    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;

    jq_state* state() const { return state_; }

private:
    JqProgram& program_;
    jq_state* state_ = nullptr;
};

JqProgram::JqProgram(std::string expression) : expression_(std::move(expression)) {
    // Compiling once here makes a bad program a config error, not a failure of every run.
    idle_.reserve(1);
    idle_.push_back(compile());
}

JqProgram::~JqProgram() {
    for (jq_state* state : idle_) jq_teardown(&state);
}

jq_state* JqProgram::compile() const {
    // jq_compile reads a C string; the program would silently end at a NUL.
    if (expression_.find('\0') != std::string::npos)
        throw std::invalid_argument("jq expression contains a NUL character");

    std::lock_guard lock(compileMutex);
    jq_state* state = jq_init();
    if (state == nullptr) throw std::bad_alloc();
    std::string errors;
    jq_set_error_cb(state, collectCompileError, &errors);
    // With no library path set, jq 1.6 aborts the whole process on `import`; with an empty
    // one, modules are simply not found.
    jq_set_attr(state, jv_string("JQ_LIBRARY_PATH"), jv_array());
    if (!jq_compile(state, expression_.c_str())) {
        jq_teardown(&state);
        throw std::invalid_argument("jq expression does not compile: " + errors);
    }
    // Run-time errors come back from jq_next; nothing else libjq reports should reach the
    // engine's stderr.
    jq_set_error_cb(state, discardError, nullptr);
    return state;
}

std::vector<nlohmann::json> JqProgram::outputs(const nlohmann::json& input,
                                               std::size_t maxOutputs, const DebugSink& debug) {
    Lease lease(*this, debug);
    std::vector<nlohmann::json> results;
    // Converted while the lease is held: jv reference counts are not atomic, and outputs
    // may share values with the state another thread uses next.
    run(lease.state(), input, [&](Jv output) {
        if (results.size() == maxOutputs)
            throw std::runtime_error("jq program produced more than " +
                                     std::to_string(maxOutputs) + " outputs");
        results.push_back(toJson(output.get()));
        return true;
    });
    return results;
}

nlohmann::json JqProgram::onlyOutput(const nlohmann::json& input, const DebugSink& debug) {
    Lease lease(*this, debug);
    std::optional<nlohmann::json> result;
    run(lease.state(), input, [&](Jv output) {
        if (result) throw std::runtime_error("jq program produced more than one output");
        result = toJson(output.get());
        return true;
    });
    if (!result) throw std::runtime_error("jq program produced no output");
    return std::move(*result);
}

bool JqProgram::firstOutputIsTruthy(const nlohmann::json& input, const DebugSink& debug) {
    Lease lease(*this, debug);
    bool truthy = false;
    run(lease.state(), input, [&](Jv output) {
        truthy = output.kind() != JV_KIND_FALSE && output.kind() != JV_KIND_NULL;
        return false;
    });
    return truthy;
}

}  // namespace flowgate::plugins::jq
