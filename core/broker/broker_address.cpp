#include "broker/broker_address.hpp"

#include <amqp.h>

#include <stdexcept>
#include <vector>

namespace flowgate::broker {

BrokerAddress BrokerAddress::parse(const std::string& url) {
    if (url.rfind("amqps://", 0) == 0)
        throw std::invalid_argument("amqps:// (TLS to the broker) is not supported; use amqp://");
    if (url.rfind("amqp://", 0) != 0)
        throw std::invalid_argument("the broker URL must start with amqp://");
    // amqp_parse_url writes into its argument and points the result's fields into it.
    std::vector<char> text(url.begin(), url.end());
    text.push_back('\0');
    amqp_connection_info info;
    amqp_default_connection_info(&info);
    if (amqp_parse_url(text.data(), &info) != AMQP_STATUS_OK)
        throw std::invalid_argument("the broker URL is not a valid amqp:// URL");
    BrokerAddress address;
    address.host = info.host;
    address.port = info.port;
    address.user = info.user;
    address.password = info.password;
    // "amqp://host/" names the vhost "" by the AMQP URI spec, which nobody means: the
    // default vhost "/" then, as for "amqp://host". Write %2F to name it explicitly.
    address.vhost = *info.vhost != '\0' ? info.vhost : "/";
    if (address.host.empty()) throw std::invalid_argument("the broker URL names no host");
    return address;
}

std::string BrokerAddress::redacted() const {
    return "amqp://" + user + "@" + host + ":" + std::to_string(port) +
           (vhost.rfind('/', 0) == 0 ? "" : "/") + vhost;
}

}  // namespace flowgate::broker
