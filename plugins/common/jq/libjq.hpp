// libjq's C API for C++: its headers, and an owner for the jv values it hands out.
#pragma once

#include <utility>

// jq 1.6's headers have no extern "C" guards of their own.
extern "C" {
#include <jq.h>
#include <jv.h>
}

namespace flowgate::plugins::jq {

// Owns one reference to a jv. Most jv functions consume their arguments: pass release()
// or copy() to those, and get() only to the few that borrow (jv_get_kind, jv_string_value,
// jv_number_value, the object iterators).
//
// jv reference counts are not atomic: a Jv must stay on the thread, and under the lease of
// the jq_state, that produced it.
class Jv {
public:
    explicit Jv(jv value) noexcept : value_(value) {}
    ~Jv() { jv_free(value_); }

    Jv(Jv&& other) noexcept : value_(other.release()) {}
    Jv& operator=(Jv&& other) noexcept {
        if (this != &other) {
            jv_free(value_);
            value_ = other.release();
        }
        return *this;
    }
    Jv(const Jv&) = delete;
    Jv& operator=(const Jv&) = delete;

    jv get() const noexcept { return value_; }
    jv copy() const noexcept { return jv_copy(value_); }
    jv release() noexcept { return std::exchange(value_, jv_invalid()); }
    jv_kind kind() const noexcept { return jv_get_kind(value_); }

private:
    jv value_;
};

}  // namespace flowgate::plugins::jq
