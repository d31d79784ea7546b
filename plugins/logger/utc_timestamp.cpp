#include "utc_timestamp.hpp"

#include <cstdio>
#include <ctime>

namespace flowgate::plugins::logger {

std::string utcTimestamp(std::chrono::system_clock::time_point time) {
    using namespace std::chrono;
    // floor, not a cast: times before 1970 must not round up into the next second.
    const auto seconds = floor<std::chrono::seconds>(time);
    const auto millis = static_cast<int>(duration_cast<milliseconds>(time - seconds).count());
    // A logger writes many lines per second: format the date and time once per second
    // (per thread, as steps run on several threads at once) and add the milliseconds.
    thread_local auto cachedSecond = decltype(seconds)::min();
    thread_local char cachedDate[32];
    if (seconds != cachedSecond) {
        const std::time_t t = system_clock::to_time_t(seconds);
        std::tm utc{};
        gmtime_r(&t, &utc);
        std::strftime(cachedDate, sizeof cachedDate, "%Y-%m-%dT%H:%M:%S", &utc);
        cachedSecond = seconds;
    }
    std::string text = cachedDate;
    text += '.';
    text += static_cast<char>('0' + millis / 100);
    text += static_cast<char>('0' + millis / 10 % 10);
    text += static_cast<char>('0' + millis % 10);
    text += 'Z';
    return text;
}

}  // namespace flowgate::plugins::logger
