#include "http/edge_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <Poco/Logger.h>
#include <Poco/Net/SocketAddress.h>

#include "http/access_log.hpp"
#include "http/edge_connection.hpp"
#include "http/json_response.hpp"
#include "http/request_id.hpp"
#include "http/tls_transport.hpp"
#include "http/transport.hpp"

namespace flowgate::http {

namespace {

// epoll data for the two descriptors that are not connections.
char listenerTag;
char wakeTag;

constexpr std::chrono::seconds kStopGrace{10};
constexpr std::chrono::seconds kLingerTimeout{2};
constexpr std::chrono::milliseconds kExpiryInterval{100};
constexpr std::chrono::milliseconds kAcceptPause{100};

}  // namespace

EdgeServer::EdgeServer(EdgeSettings settings, Handler handler, EdgeMetrics& metrics,
                       LoopPolicy onLoop)
    : settings_(std::move(settings)),
      handler_(std::move(handler)),
      onLoop_(std::move(onLoop)),
      metrics_(metrics),
      tls_(settings_.tls.enabled() ? std::make_unique<TlsContext>(settings_.tls) : nullptr),
      listener_(Poco::Net::SocketAddress(settings_.host, static_cast<Poco::UInt16>(settings_.port)),
                1024) {
    listener_.setBlocking(false);
    epoll_ = ::epoll_create1(EPOLL_CLOEXEC);
    wakeFd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (epoll_ < 0 || wakeFd_ < 0)
        throw std::runtime_error(std::string("epoll: ") + std::strerror(errno));
    returns_ = std::make_shared<Returns>();
    returns_->wakeFd = wakeFd_;
    epoll_event listen{};
    listen.events = EPOLLIN;
    listen.data.ptr = &listenerTag;
    epoll_event wake{};
    wake.events = EPOLLIN;
    wake.data.ptr = &wakeTag;
    if (::epoll_ctl(epoll_, EPOLL_CTL_ADD, listener_.impl()->sockfd(), &listen) != 0 ||
        ::epoll_ctl(epoll_, EPOLL_CTL_ADD, wakeFd_, &wake) != 0)
        throw std::runtime_error(std::string("epoll_ctl: ") + std::strerror(errno));
}

EdgeServer::~EdgeServer() {
    stop();
    {
        // A deferred answer still outstanding after the stop grace finds no connection.
        std::lock_guard lock(returns_->mutex);
        returns_->closed = true;
    }
    for (auto& [fd, connection] : connections_) ::close(fd);
    connections_.clear();
    if (epoll_ >= 0) ::close(epoll_);
    if (wakeFd_ >= 0) ::close(wakeFd_);
}

int EdgeServer::port() const {
    return listener_.address().port();
}

void EdgeServer::reloadCertificate() {
    if (!tls_) return;
    auto& log = Poco::Logger::get("flowgate.http");
    try {
        tls_->reload();
        log.information("TLS certificate reloaded from %s", settings_.tls.certFile.string());
    } catch (const TlsError& e) {
        log.error("TLS certificate not reloaded, new connections keep the current one: %s",
                  std::string(e.what()));
    }
}

void EdgeServer::start() {
    if (started_) return;
    started_ = true;
    for (int i = 0; i < settings_.handlerThreads; ++i)
        handlers_.emplace_back([this] { handlerThread(); });
    loopThread_ = std::thread([this] { loop(); });
}

void EdgeServer::stop() {
    if (stopped_) return;
    stopped_ = true;
    stopping_ = true;
    wake();
    if (loopThread_.joinable()) loopThread_.join();
    {
        std::lock_guard lock(jobsMutex_);
        jobsClosed_ = true;
    }
    jobsReady_.notify_all();
    for (auto& thread : handlers_) thread.join();
    handlers_.clear();
}

void EdgeServer::wake() {
    const std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(wakeFd_, &one, sizeof one);
}

// ---------------------------------------------------------------------------------------
// The loop thread.

void EdgeServer::loop() {
    pthread_setname_np(pthread_self(), "fg-edge");  // for top -H and profiles
    auto& log = Poco::Logger::get("flowgate.http");
    epoll_event events[256];
    auto lastExpiry = Clock::now();
    Clock::time_point stopDeadline{};
    bool listening = true;
    while (true) {
        const int n = ::epoll_wait(epoll_, events, 256, 100);
        if (n < 0 && errno != EINTR) {
            log.critical("epoll_wait failed: %s", std::string(std::strerror(errno)));
            break;
        }
        for (int i = 0; i < n; ++i) {
            void* tag = events[i].data.ptr;
            if (tag == &listenerTag) {
                if (listening) accept();
            } else if (tag == &wakeTag) {
                std::uint64_t count;
                [[maybe_unused]] auto r = ::read(wakeFd_, &count, sizeof count);
                std::vector<Connection*> returned;
                {
                    std::lock_guard lock(returns_->mutex);
                    returned.swap(returns_->connections);
                }
                for (Connection* c : returned) {
                    c->busy.store(false, std::memory_order_relaxed);
                    handBack(*c);
                }
            } else {
                auto& c = *static_cast<Connection*>(tag);
                // A handler arms the connection just before it lets go of it.
                while (c.busy.load(std::memory_order_acquire)) std::this_thread::yield();
                if (c.phase == Connection::Phase::writing)
                    onWritable(c);
                else
                    onReadable(c);
            }
        }
        const auto now = Clock::now();
        if (!accepting_ && listening && now >= acceptPausedUntil_) {
            epoll_event listen{};
            listen.events = EPOLLIN;
            listen.data.ptr = &listenerTag;
            ::epoll_ctl(epoll_, EPOLL_CTL_ADD, listener_.impl()->sockfd(), &listen);
            accepting_ = true;
        }
        if (now - lastExpiry >= kExpiryInterval) {
            expire(now);
            lastExpiry = now;
        }
        if (stopping_) {
            if (listening) {
                ::epoll_ctl(epoll_, EPOLL_CTL_DEL, listener_.impl()->sockfd(), nullptr);
                listener_.close();
                listening = false;
                stopDeadline = now + kStopGrace;
            }
            // Nobody waits for an answer on these; the busy ones are answered with
            // Connection: close and come back here.
            std::vector<Connection*> idle;
            bool busy = false;
            for (auto& [fd, c] : connections_) {
                if (c->busy.load(std::memory_order_acquire))
                    busy = true;
                else if (c->phase != Connection::Phase::writing)
                    idle.push_back(c.get());
                else
                    busy = true;
            }
            for (Connection* c : idle) close(*c);
            if (!busy || now > stopDeadline) break;
        }
    }
}

void EdgeServer::accept() {
    auto& log = Poco::Logger::get("flowgate.http");
    const int listenFd = listener_.impl()->sockfd();
    while (true) {
        sockaddr_storage peer{};
        socklen_t peerSize = sizeof peer;
        const int fd = ::accept4(listenFd, reinterpret_cast<sockaddr*>(&peer), &peerSize,
                                 SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                // Out of descriptors: stop listening a moment instead of spinning on it.
                log.warning("cannot accept connections: %s", std::string(std::strerror(errno)));
                ::epoll_ctl(epoll_, EPOLL_CTL_DEL, listenFd, nullptr);
                accepting_ = false;
                acceptPausedUntil_ = Clock::now() + kAcceptPause;
            }
            return;
        }
        const Poco::Net::SocketAddress address(reinterpret_cast<sockaddr*>(&peer), peerSize);
        std::string key = address.host().toString();
        auto& fromAddress = perAddress_[key];
        if (connections_.size() >= settings_.maxConnections ||
            fromAddress >= settings_.maxConnectionsPerAddress) {
            ++metrics_.refusedConnections;
            if (fromAddress == 0) perAddress_.erase(key);
            if (tls_) {  // a plain-text 503 means nothing to a TLS client: just close
                ::close(fd);
                continue;
            }
            Response refused;
            sendError(refused, 503, "too_many_connections",
                      "too many connections; try again later");
            refused.set("Retry-After", "1");
            std::string bytes;
            serialize(bytes, refused, false, true, 1);
            [[maybe_unused]] auto sent =
                ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
            ::close(fd);
            continue;
        }
        auto transport = tls_ ? tlsTransport(fd, *tls_) : plainTransport(fd);
        if (!transport) {
            log.error("cannot start TLS on a connection: %s", takeOpenSslErrors());
            if (fromAddress == 0) perAddress_.erase(key);
            ::close(fd);
            continue;
        }
        ++fromAddress;
        const int one = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        auto connection = std::make_unique<Connection>(fd, settings_.limits);
        Connection& c = *connection;
        c.transport = std::move(transport);
        c.addressKey = std::move(key);
        c.client = address.host();
        sockaddr_storage local{};
        socklen_t localSize = sizeof local;
        if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &localSize) == 0)
            c.local = Poco::Net::SocketAddress(reinterpret_cast<sockaddr*>(&local), localSize);
        c.acceptedAt = Clock::now();
        c.deadline = c.acceptedAt + settings_.headerTimeout;
        connections_.emplace(fd, std::move(connection));
        metrics_.connections = connections_.size();
        epoll_event event{};
        event.events = EPOLLIN | EPOLLONESHOT;
        event.data.ptr = &c;
        ::epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &event);
    }
}

void EdgeServer::onReadable(Connection& c) {
    char buffer[64 * 1024];
    const IoResult read = c.transport->read(buffer, sizeof buffer);
    if (read.status == IoResult::Status::wantRead || read.status == IoResult::Status::wantWrite)
        return arm(c, read.status == IoResult::Status::wantWrite);
    if (read.status == IoResult::Status::closed) {
        // EOF or a reset: a request not complete by now is not a request (RFC 9112 §8).
        if (c.phase == Connection::Phase::receiving) ++metrics_.incomplete;
        return close(c);
    }
    if (c.phase == Connection::Phase::draining) return arm(c, false);  // discarded
    advance(c, buffer, read.bytes);
}

void EdgeServer::advance(Connection& c, const char* data, std::size_t size) {
    const std::size_t used = c.parser.feed(data, size);
    if (c.parser.started() && c.phase == Connection::Phase::idle) {
        const auto now = Clock::now();
        c.phase = Connection::Phase::receiving;
        c.started = now;
        c.headerDeadline = (tls_ && c.firstRequest ? c.acceptedAt : now) + settings_.headerTimeout;
        c.firstRequest = false;
        c.requestDeadline = now + settings_.requestTimeout;
    }
    switch (c.parser.state()) {
        case RequestParser::State::failed: {
            ++metrics_.malformed;
            const ParseError& error = c.parser.error();
            return refuse(c, error.status, error.code, error.message);
        }
        case RequestParser::State::complete:
            c.pending.assign(data + used, size - used);
            return dispatch(c);
        case RequestParser::State::incomplete:
            break;
    }
    if (c.parser.takeContinueRequest()) {
        static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
        // A socket that cannot take these few bytes belongs to a peer that does not read.
        // Closed rather than left half-sent: a TLS record cut here could not be taken back
        // before the answer.
        const IoResult sent = c.transport->write(kContinue.data(), kContinue.size());
        if (sent.status != IoResult::Status::done || sent.bytes != kContinue.size()) {
            ++metrics_.incomplete;
            return close(c);
        }
    }
    if (c.phase == Connection::Phase::receiving)
        c.deadline = c.parser.headersComplete() ? c.requestDeadline
                                                : std::min(c.headerDeadline, c.requestDeadline);
    arm(c, false);
}

void EdgeServer::dispatch(Connection& c) {
    bool keepAlive = false;
    Job job{&c, c.parser.take(keepAlive), c.requestDeadline, c.started};
    c.keepAlive = keepAlive;
    job.request.id = newRequestId();
    job.request.receivedAt = Clock::now();
    job.request.clientAddress = c.client;
    job.request.serverAddress = c.local;
    job.request.secure = tls_ != nullptr;
    c.phase = Connection::Phase::handling;
    if (runsOnLoop(job.request)) {
        // Owned as a handler thread owns it: a deferred answer comes back through returns_,
        // and whatever is left after the answer (pipelined bytes, a close) waits for the
        // next turn of the loop, so one event does one request's work.
        c.busy.store(true, std::memory_order_relaxed);
        return serve(job);
    }
    bool queued = false;
    {
        std::lock_guard lock(jobsMutex_);
        if (jobs_.size() < settings_.maxQueuedRequests) {
            c.busy.store(true, std::memory_order_relaxed);
            jobs_.push_back(std::move(job));
            queued = true;
        }
    }
    if (!queued) {
        ++metrics_.overloaded;
        return refuse(c, 503, "overloaded", "the server is busy; try again later");
    }
    jobsReady_.notify_one();
}

bool EdgeServer::runsOnLoop(const Request& request) {
    if (!onLoop_) return false;
    try {
        return onLoop_(request);
    } catch (...) {
        return false;  // a handler thread meets the same problem, and logs it
    }
}

void EdgeServer::refuse(Connection& c, int status, const std::string& code,
                        const std::string& message) {
    Response response;
    sendError(response, status, code, message);
    if (status == 503) response.set("Retry-After", "1");
    if (settings_.accessLog)
        logAccess({{}, {}, status, {}, {}, millisecondsSince(c.started), c.client.toString()});
    serialize(c.out, response, false, true, 1);
    c.outPos = 0;
    c.closeAfterWrite = true;
    c.pending.clear();
    handBack(c);
}

// The loop owns `c` again, with an answer in c.out.
void EdgeServer::handBack(Connection& c) {
    if (!flush(c)) {
        c.phase = Connection::Phase::writing;
        c.deadline = Clock::now() + settings_.requestTimeout;
        return arm(c, !c.flushWantsRead);
    }
    afterWrite(c);
}

void EdgeServer::onWritable(Connection& c) {
    if (!flush(c)) return arm(c, !c.flushWantsRead);
    afterWrite(c);
}

void EdgeServer::afterWrite(Connection& c) {
    if (c.broken) return close(c);
    if (c.closeAfterWrite) return lingerClose(c);
    c.phase = Connection::Phase::idle;
    c.deadline = Clock::now() + settings_.keepAliveTimeout;
    if (c.pending.empty()) return arm(c, false);
    const std::string pipelined = std::move(c.pending);
    c.pending.clear();
    advance(c, pipelined.data(), pipelined.size());
}

// Writes what the socket takes; true when nothing is left (or the peer is gone).
bool EdgeServer::flush(Connection& c) {
    while (c.outPos < c.out.size()) {
        const IoResult written =
            c.transport->write(c.out.data() + c.outPos, c.out.size() - c.outPos);
        if (written.status == IoResult::Status::done) {
            c.outPos += written.bytes;
        } else if (written.status == IoResult::Status::closed) {
            c.broken = true;
            break;
        } else {
            c.flushWantsRead = written.status == IoResult::Status::wantRead;
            return false;
        }
    }
    c.out.clear();
    c.outPos = 0;
    return true;
}

void EdgeServer::arm(Connection& c, bool writable) {
    epoll_event event{};
    event.events = (writable ? EPOLLOUT : EPOLLIN) | EPOLLONESHOT;
    event.data.ptr = &c;
    ::epoll_ctl(epoll_, EPOLL_CTL_MOD, c.fd, &event);
}

// Closes our side after an answer but reads until the peer closes (or a short timeout),
// so unread request bytes do not turn the close into a reset that loses the answer.
void EdgeServer::lingerClose(Connection& c) {
    c.transport->shutdownWrite();
    c.phase = Connection::Phase::draining;
    c.deadline = Clock::now() + kLingerTimeout;
    arm(c, false);
}

void EdgeServer::close(Connection& c) {
    const int fd = c.fd;
    auto it = perAddress_.find(c.addressKey);
    if (it != perAddress_.end() && --it->second == 0) perAddress_.erase(it);
    ::close(fd);
    connections_.erase(fd);
    metrics_.connections = connections_.size();
}

void EdgeServer::expire(Clock::time_point now) {
    std::vector<Connection*> expired;
    for (auto& [fd, c] : connections_) {
        if (c->busy.load(std::memory_order_acquire) || c->deadline > now) continue;
        // A request not complete by its deadline is dropped unanswered, like one cut by EOF.
        if (c->phase == Connection::Phase::receiving) ++metrics_.incomplete;
        expired.push_back(c.get());
    }
    for (Connection* c : expired) close(*c);
}

}  // namespace flowgate::http
