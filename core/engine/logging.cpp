#include "engine/logging.hpp"

#include <unistd.h>

#include <Poco/AutoPtr.h>
#include <Poco/Channel.h>
#include <Poco/FormattingChannel.h>
#include <Poco/Logger.h>
#include <Poco/Message.h>
#include <Poco/PatternFormatter.h>

#include "log/json_log_formatter.hpp"

namespace flowgate::cli {

namespace {

// One write(2) per line on stderr (a worker's is descriptor 3, see engine/worker_output.hpp):
// the supervisor, the intake and the workers share it, and a line written in pieces (as
// std::clog does) could be cut by another process's.
class StderrLineChannel final : public Poco::Channel {
public:
    explicit StderrLineChannel(int fd) : fd_(fd) {}

    void log(const Poco::Message& message) override {
        std::string line = message.getText();
        line += '\n';
        const char* data = line.data();
        std::size_t left = line.size();
        while (left > 0) {
            const ssize_t n = ::write(fd_, data, left);
            if (n <= 0) return;  // nowhere to log to: drop the line
            data += n;
            left -= static_cast<std::size_t>(n);
        }
    }

private:
    const int fd_;
};

}  // namespace

void setUpLogging(const std::string& level, const std::string& format, int fd) {
    Poco::AutoPtr<Poco::Formatter> formatter;
    if (format == "json")
        formatter = new log::JsonLogFormatter;
    else
        formatter = new Poco::PatternFormatter("%Y-%m-%dT%H:%M:%S.%iZ [%P] %p %s: %t");
    Poco::AutoPtr<StderrLineChannel> console(new StderrLineChannel(fd));
    Poco::AutoPtr<Poco::FormattingChannel> channel(new Poco::FormattingChannel(formatter, console));
    Poco::Logger::root().setChannel(channel);
    Poco::Logger::root().setLevel(level);
    // Loggers made before this call (static ones) keep their old channel: update them all.
    Poco::Logger::setChannel("", channel);
    Poco::Logger::setLevel("", Poco::Logger::parseLevel(level));
}

}  // namespace flowgate::cli
