// Where the broker is: an amqp:// URL taken apart once, at configuration time.
#pragma once

#include <string>

namespace flowgate::broker {

struct BrokerAddress {
    std::string host;
    int port = 5672;
    std::string user = "guest";
    std::string password = "guest";
    std::string vhost = "/";

    // Parses amqp://[user[:password]@]host[:port][/vhost] (percent-escapes decoded, as
    // rabbitmq-c's amqp_parse_url does; an empty vhost is "/"). Throws std::invalid_argument with a
    // reason that never repeats the URL (it may hold the password). amqps:// is refused: the engine
    // does not speak TLS to the broker yet.
    static BrokerAddress parse(const std::string& url);

    // For logs and errors: amqp://user@host:port/vhost, never the password.
    std::string redacted() const;
};

}  // namespace flowgate::broker
