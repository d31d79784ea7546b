// One HTTP/1.1 request as the edge hands it to a handler, and the answer a handler fills in.
//
// A Request is always complete and unambiguous: the edge (http/edge_server.hpp) has
// checked its framing with llhttp and read its whole body before any handler sees it.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <Poco/Net/IPAddress.h>
#include <Poco/Net/SocketAddress.h>

namespace flowgate::http {

// Spare capacity after a request body, so that a parser that reads (never writes) a little
// past the end of its input (simdjson: SIMDJSON_PADDING, 64) can check the body in place
// instead of copying it.
inline constexpr std::size_t kBodyTailroom = 64;

struct Request {
    std::string id;        // a new request id (http/request_id.hpp): logs, messages, answers
    std::string method;    // "POST"
    std::string target;    // origin-form, as sent: "/hook/orders?x=1"
    int versionMinor = 1;  // HTTP/1.<versionMinor>: 0 or 1
    // In arrival order, names lower-cased, values with surrounding whitespace trimmed.
    std::vector<std::pair<std::string, std::string>> headers;
    // Complete, de-chunked. A Content-Length body comes with at least kBodyTailroom bytes
    // of spare capacity.
    std::string body;
    std::chrono::steady_clock::time_point receivedAt;  // when it was complete
    Poco::Net::IPAddress clientAddress;
    Poco::Net::SocketAddress serverAddress;  // the local address the request reached
    bool secure = false;                     // arrived over TLS (https)

    // The field's value, fields sent more than once joined with ", " (RFC 9110 §5.3);
    // `fallback` when absent. `lowerName` must be lower case.
    std::string header(std::string_view lowerName, std::string_view fallback = {}) const;
    bool hasHeader(std::string_view lowerName) const;
    std::string_view path() const;   // the target up to '?'
    std::string_view query() const;  // after '?', raw; "" if none
    const char* scheme() const { return secure ? "https://" : "http://"; }
};

struct Response;

// Sends the answer of a request whose handler returned without one (Response::defer).
class ResponseSender {
public:
    virtual ~ResponseSender() = default;
    // Exactly once, from any thread. Cheap: the edge's loop thread does the writing.
    virtual void send(Response response) = 0;
};

// What lets a handler answer later; the edge implements it for the request in hand.
class Deferral {
public:
    virtual std::shared_ptr<ResponseSender> defer() = 0;

protected:
    ~Deferral() = default;
};

struct Response {
    int status = 200;
    std::vector<std::pair<std::string, std::string>> headers;  // besides the framing ones
    std::string body;
    Deferral* deferral = nullptr;  // set by the edge on the response it hands a handler
    std::string flow;  // the flow the request reached, for the access log; not sent

    // Replaces every field called `name` (case-insensitive).
    void set(std::string_view name, std::string value);
    bool has(std::string_view name) const;

    // Answer later: the handler returns at once and whoever finishes the work sends the
    // answer through what this returns (if nobody does, the edge answers 500). This
    // Response is then never sent. Lets a webhook be answered from the queue's commit
    // instead of a thread parked per request.
    std::shared_ptr<ResponseSender> defer() {
        if (!deferral) throw std::logic_error("Response::defer: not a response from the edge");
        deferred_ = true;
        return deferral->defer();
    }
    bool deferred() const { return deferred_; }

private:
    bool deferred_ = false;
};

// The standard reason phrase of `status` ("Accepted"), or "Unknown".
std::string_view reasonPhrase(int status);

}  // namespace flowgate::http
