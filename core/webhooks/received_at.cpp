#include "webhooks/received_at.hpp"

#include <Poco/DateTimeFormatter.h>

namespace flowgate::http {

std::string receivedAtText(Poco::Timestamp at) {
    const Poco::Timestamp::TimeVal micros = at.epochMicroseconds();
    // floor, not truncation: times before 1970 must not round up into the next second.
    Poco::Timestamp::TimeVal second = micros / Poco::Timestamp::resolution();
    if (micros % Poco::Timestamp::resolution() < 0) --second;
    const auto fraction = static_cast<int>(micros - second * Poco::Timestamp::resolution());
    // Date and time change once a second: format them (Poco's calendar arithmetic) once
    // per second and thread, and add the microseconds.
    thread_local Poco::Timestamp::TimeVal cachedSecond = -1;
    thread_local std::string cachedPrefix;
    if (second != cachedSecond || cachedPrefix.empty()) {
        cachedPrefix = Poco::DateTimeFormatter::format(
            Poco::Timestamp(second * Poco::Timestamp::resolution()), "%Y-%m-%dT%H:%M:%S.");
        cachedSecond = second;
    }
    std::string text;
    text.reserve(cachedPrefix.size() + 7);
    text = cachedPrefix;
    char digits[6];
    int rest = fraction;
    for (int i = 5; i >= 0; --i, rest /= 10) digits[i] = static_cast<char>('0' + rest % 10);
    text.append(digits, sizeof digits);
    text += 'Z';
    return text;
}

}  // namespace flowgate::http
