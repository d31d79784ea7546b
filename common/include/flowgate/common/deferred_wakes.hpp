// Coalescing cross-thread wakeups: a thread about to run many callbacks in a row (the
// queue writer answering a committed batch) opens a DeferredWakes scope; a callback that
// would wake another thread (the HTTP edge loop, to send an answer) defers that wake to
// the scope's end instead, once per key. Waking a sleeping thread on another CPU costs
// more than the callback itself; one wake per batch instead of one per callback.
#pragma once

#include <functional>

namespace flowgate::common {

class DeferredWakes {
public:
    // Opens a scope on this thread. A scope opened inside another one adds nothing: the
    // outer one runs the wakes.
    DeferredWakes();
    // Runs each deferred wake once, in the order first deferred. Wakes must not throw.
    ~DeferredWakes();

    DeferredWakes(const DeferredWakes&) = delete;
    DeferredWakes& operator=(const DeferredWakes&) = delete;

    // With a scope open on this thread: keeps `wake` for the scope's end (only the first
    // one given per `key`) and returns true. Without one: returns false and the caller
    // wakes at once.
    static bool defer(const void* key, std::function<void()> wake);

private:
    bool outermost_;
};

}  // namespace flowgate::common
