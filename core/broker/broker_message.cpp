#include "broker/broker_message.hpp"

namespace flowgate::broker {

std::optional<std::string> BrokerMessage::header(const std::string& name) const {
    for (const auto& [key, value] : headers)
        if (key == name) return value;
    return std::nullopt;
}

}  // namespace flowgate::broker
