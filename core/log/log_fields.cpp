#include "log/log_fields.hpp"

namespace flowgate::log {

void LogFields::addTo(Poco::Message& message) const {
    if (!flow.empty()) message.set(field::flow, std::string(flow));
    if (!step.empty()) message.set(field::step, std::string(step));
    if (!requestId.empty()) message.set(field::requestId, std::string(requestId));
    if (attempt > 0) message.set(field::attempt, std::to_string(attempt));
}

void logWith(Poco::Logger& logger, Poco::Message::Priority priority, const std::string& text,
             const LogFields& fields) {
    if (!logger.is(priority)) return;
    Poco::Message message(logger.name(), text, priority);
    fields.addTo(message);
    logger.log(message);
}

}  // namespace flowgate::log
