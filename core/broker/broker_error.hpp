// The broker cannot take or confirm something now (down, refused, timed out). What was
// asked may or may not have reached it; nothing was confirmed.
#pragma once

#include <stdexcept>

namespace flowgate::broker {

class BrokerUnavailable : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

}  // namespace flowgate::broker
