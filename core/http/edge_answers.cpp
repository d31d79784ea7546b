// The edge's handler side: the handler threads that run each complete request, the
// deferred answers (Response::defer) that come later from other threads, and the bytes
// of an answer. Both hand a connection back to the loop through EdgeServer::Returns.
#include <pthread.h>

#include <Poco/Logger.h>

#include "http/access_log.hpp"
#include "http/edge_connection.hpp"
#include "http/json_response.hpp"

namespace flowgate::http {

void serialize(std::string& out, const Response& response, bool head, bool close,
               int versionMinor) {
    const bool noBody = response.status == 204 || response.status == 304 ||
                        (response.status >= 100 && response.status < 200);
    out.clear();
    out.reserve(160 + response.body.size());
    out += "HTTP/1.1 ";
    out += std::to_string(response.status);
    out += ' ';
    out += reasonPhrase(response.status);
    out += "\r\n";
    for (const auto& [name, value] : response.headers) {
        out += name;
        out += ": ";
        out += value;
        out += "\r\n";
    }
    if (!noBody) {
        out += "Content-Length: ";
        out += std::to_string(response.body.size());
        out += "\r\n";
    }
    if (close)
        out += "Connection: close\r\n";
    else if (versionMinor == 0)
        out += "Connection: keep-alive\r\n";
    out += "\r\n";
    if (!noBody && !head) out += response.body;
}

// The deferred answer of one request: written into its connection, which stays busy (out
// of epoll and past any deadline) until then, and handed to the loop.
class EdgeServer::Sender final : public ResponseSender {
public:
    // `access`: what the access log line needs of the request (null: no line).
    struct Access {
        std::string method;
        std::string path;
        Clock::time_point started;
        std::string remote;
    };

    Sender(std::shared_ptr<Returns> returns, Connection& c, bool head, bool close,
           int versionMinor, std::string requestId, std::unique_ptr<Access> access)
        : returns_(std::move(returns)),
          connection_(c),
          head_(head),
          close_(close),
          versionMinor_(versionMinor),
          requestId_(std::move(requestId)),
          access_(std::move(access)) {}

    ~Sender() override {
        if (sent_.load()) return;
        // Nobody answered (a completion lost on an error path): the caller still gets one.
        Response response;
        sendJson(response, 500,
                 {{"error", "internal_error"},
                  {"message", "the request could not be handled"},
                  {"requestId", requestId_}});
        send(std::move(response));
    }

    void send(Response response) override {
        if (sent_.exchange(true)) return;
        if (access_)
            logAccess({access_->method, access_->path, response.status, response.flow, requestId_,
                       millisecondsSince(access_->started), access_->remote});
        std::string out;
        serialize(out, response, head_, close_, versionMinor_);
        std::lock_guard lock(returns_->mutex);
        if (returns_->closed) return;
        connection_.out = std::move(out);
        connection_.outPos = 0;
        connection_.closeAfterWrite = close_;
        returns_->push(&connection_);
    }

private:
    const std::shared_ptr<Returns> returns_;
    Connection& connection_;
    const bool head_;
    const bool close_;
    const int versionMinor_;
    const std::string requestId_;
    const std::unique_ptr<Access> access_;
    std::atomic<bool> sent_{false};
};

// Lets the handler of one job defer its answer.
class EdgeServer::JobDeferral final : public Deferral {
public:
    JobDeferral(EdgeServer& server, Job& job, bool close)
        : server_(server), job_(job), close_(close) {}

    std::shared_ptr<ResponseSender> defer() override {
        const Request& r = job_.request;
        auto access = server_.settings_.accessLog && accessLogOn()
                          ? std::make_unique<Sender::Access>(Sender::Access{
                                r.method, std::string(r.path()), job_.started,
                                r.clientAddress.toString()})
                          : nullptr;
        return std::make_shared<Sender>(server_.returns_, *job_.connection, r.method == "HEAD",
                                        close_, r.versionMinor, r.id, std::move(access));
    }

private:
    EdgeServer& server_;
    Job& job_;
    const bool close_;
};

void EdgeServer::handlerThread() {
    pthread_setname_np(pthread_self(), "fg-handler");
    while (true) {
        std::unique_lock lock(jobsMutex_);
        jobsReady_.wait(lock, [this] { return jobsClosed_ || !jobs_.empty(); });
        if (jobs_.empty()) return;
        Job job = std::move(jobs_.front());
        jobs_.pop_front();
        lock.unlock();
        serve(job);
    }
}

void EdgeServer::serve(Job& job) {
    Connection& c = *job.connection;
    const Request& request = job.request;
    Response response;
    bool close = !c.keepAlive || stopping_;
    JobDeferral deferral(*this, job, close);
    response.deferral = &deferral;
    if (Clock::now() > job.deadline) {
        // Waited too long for a handler: nothing was stored; the caller may try again.
        ++metrics_.overloaded;
        sendError(response, 503, "overloaded",
                  "the request waited too long for the server; nothing was stored, try again");
        response.set("Retry-After", "1");
        close = true;
    } else {
        try {
            handler_(request, response);
        } catch (const std::exception& e) {
            ++metrics_.handlerErrors;
            Poco::Logger::get("flowgate.http")
                .error("request %s (%s %s) failed: %s", request.id, request.method,
                       std::string(request.path()), std::string(e.what()));
            if (response.deferred()) return;  // its sender answers (500 if it is dropped)
            response = Response{};
            sendJson(response, 500,
                     {{"error", "internal_error"},
                      {"message", "the request could not be handled; nothing was stored"},
                      {"requestId", request.id}});
        } catch (...) {
            ++metrics_.handlerErrors;
            Poco::Logger::get("flowgate.http")
                .error("request %s (%s %s) failed with an unknown exception", request.id,
                       request.method, std::string(request.path()));
            if (response.deferred()) return;
            response = Response{};
            sendJson(response, 500,
                     {{"error", "internal_error"},
                      {"message", "the request could not be handled; nothing was stored"},
                      {"requestId", request.id}});
        }
    }
    // A deferred answer is logged by its sender; the connection stays busy until then.
    if (response.deferred()) return;
    if (settings_.accessLog && accessLogOn())
        logAccess({request.method, request.path(), response.status, response.flow, request.id,
                   millisecondsSince(job.started), request.clientAddress.toString()});
    serialize(c.out, response, request.method == "HEAD", close, request.versionMinor);
    c.outPos = 0;
    c.closeAfterWrite = close;
    if (flush(c) && !close && !c.broken && c.pending.empty()) {
        // The common case, without waking the loop: back to epoll for the next request.
        c.phase = Connection::Phase::idle;
        c.deadline = Clock::now() + settings_.keepAliveTimeout;
        arm(c, false);
        c.busy.store(false, std::memory_order_release);
        return;
    }
    // The rest (a slow reader, pipelined bytes, a close) is the loop's; it clears busy.
    std::lock_guard lock(returns_->mutex);
    returns_->push(&c);
}

}  // namespace flowgate::http
