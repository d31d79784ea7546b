#include "exchange_deadline.hpp"

#include <sys/socket.h>

#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>
#include <utility>

namespace flowgate::net {

// One thread for every exchange of the plugin, started on first use. A static object of
// the plugin library, so it is stopped and joined when the library unloads: no thread may
// run code of an unloaded library.
class DeadlineWatcher {
public:
    static DeadlineWatcher& instance() {
        static DeadlineWatcher watcher;
        return watcher;
    }

    void add(ExchangeDeadline* deadline) {
        {
            std::lock_guard lock(mutex_);
            if (!thread_.joinable()) thread_ = std::thread([this] { run(); });
            deadlines_.insert({deadline->at_, deadline});
        }
        wake_.notify_one();
    }

    // After this returns the watcher never touches `deadline` (or its socket) again.
    void remove(ExchangeDeadline* deadline) {
        std::lock_guard lock(mutex_);
        deadlines_.erase({deadline->at_, deadline});
    }

    ~DeadlineWatcher() {
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
        }
        wake_.notify_one();
        if (thread_.joinable()) thread_.join();
    }

private:
    DeadlineWatcher() = default;

    void run() {
        std::unique_lock lock(mutex_);
        while (!stopping_) {
            if (deadlines_.empty()) {
                wake_.wait(lock);
                continue;
            }
            const auto [at, deadline] = *deadlines_.begin();
            if (std::chrono::steady_clock::now() < at) {
                wake_.wait_until(lock, at);
                continue;
            }
            deadlines_.erase(deadlines_.begin());
            deadline->passed_ = true;
            // Under the lock, so the exchange cannot end and close the socket meanwhile.
            // A raw shutdown(2): it never blocks (a TLS close_notify could) and wakes any
            // thread blocked on the socket. Nothing to do if it is not connected yet: the
            // connect has its own timeout within the deadline.
            const auto* impl = deadline->socket_.impl();
            if (impl != nullptr && impl->sockfd() != POCO_INVALID_SOCKET)
                ::shutdown(impl->sockfd(), SHUT_RDWR);
        }
    }

    std::mutex mutex_;
    std::condition_variable wake_;
    std::set<std::pair<std::chrono::steady_clock::time_point, ExchangeDeadline*>> deadlines_;
    bool stopping_ = false;
    std::thread thread_;
};

ExchangeDeadline::ExchangeDeadline(Poco::Net::Socket& socket,
                                   std::chrono::steady_clock::time_point at)
    : socket_(socket), at_(at) {
    DeadlineWatcher::instance().add(this);
}

ExchangeDeadline::~ExchangeDeadline() { DeadlineWatcher::instance().remove(this); }

}  // namespace flowgate::net
