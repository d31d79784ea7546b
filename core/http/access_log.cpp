#include "http/access_log.hpp"

#include <cstdio>

#include <Poco/Logger.h>
#include <Poco/Message.h>

#include "log/log_fields.hpp"

namespace flowgate::http {

namespace {

Poco::Logger& accessLogger() {
    // Logger::get takes a global lock: once, not per request.
    static Poco::Logger& logger = Poco::Logger::get("flowgate.access");
    return logger;
}

}  // namespace

bool accessLogOn() {
    return accessLogger().information();
}

void logAccess(const AccessRecord& record) {
    Poco::Logger& logger = accessLogger();
    if (!logger.information()) return;
    char duration[32];
    std::snprintf(duration, sizeof duration, "%.3f", record.durationMs);
    const std::string_view method = record.method.empty() ? "-" : record.method;
    const std::string_view path = record.path.empty() ? "-" : record.path;
    std::string text;
    text.reserve(96 + path.size());
    text.append(method).append(" ").append(path).append(" ").append(std::to_string(record.status));
    text.append(" ").append(duration).append(" ms from ").append(record.remote);
    if (!record.flow.empty()) text.append(" flow ").append(record.flow);
    if (!record.requestId.empty()) text.append(" requestId ").append(record.requestId);

    Poco::Message message(logger.name(), text, Poco::Message::PRIO_INFORMATION);
    log::LogFields{record.flow, {}, record.requestId, 0}.addTo(message);
    if (!record.method.empty()) message.set(log::field::method, std::string(record.method));
    if (!record.path.empty()) message.set(log::field::path, std::string(record.path));
    message.set(log::field::status, std::to_string(record.status));
    message.set(log::field::durationMs, duration);
    message.set(log::field::remote, record.remote);
    logger.log(message);
}

}  // namespace flowgate::http
