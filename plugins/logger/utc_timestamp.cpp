#include "utc_timestamp.hpp"

#include <cstdio>
#include <ctime>

namespace flowgate::plugins::logger {

std::string utcTimestamp(std::chrono::system_clock::time_point time) {
    using namespace std::chrono;
    // floor, not a cast: times before 1970 must not round up into the next second.
    const auto seconds = floor<std::chrono::seconds>(time);
    const auto millis = duration_cast<milliseconds>(time - seconds).count();
    const std::time_t t = system_clock::to_time_t(seconds);
    std::tm utc{};
    gmtime_r(&t, &utc);
    char date[32];
    std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &utc);
    char text[48];
    std::snprintf(text, sizeof text, "%s.%03dZ", date, static_cast<int>(millis));
    return text;
}

}  // namespace flowgate::plugins::logger
