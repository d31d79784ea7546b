// Strict HTTP/1.1 request framing for one connection, on llhttp (Node.js's parser) in its
// default strict mode.
//
// Bytes go in as they arrive; a Request comes out only once it is complete (headers and
// the whole body). Anything ambiguous or malformed is an error that ends the connection:
// Content-Length with Transfer-Encoding, two Content-Length fields, an invalid length or
// chunk size, obs-fold, whitespace before a colon, a line without a colon, a version
// other than HTTP/1.0 or 1.1 (505), header or body limits (400, 413). Not thread-safe:
// one parser per connection, used by whoever owns the connection at the time.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "http/http_message.hpp"

namespace flowgate::http {

struct ParseLimits {
    std::size_t maxHeaderBytes = 16 * 1024;  // request line and fields, as sent
    std::size_t maxHeaderFields = 100;
    std::size_t maxBodyBytes = 1024 * 1024;
};

// Why a request was refused: the answer's status and {"error": code, "message": message}.
struct ParseError {
    int status = 400;
    std::string code;
    std::string message;
};

class RequestParser {
public:
    explicit RequestParser(const ParseLimits& limits);
    ~RequestParser();
    RequestParser(const RequestParser&) = delete;
    RequestParser& operator=(const RequestParser&) = delete;

    enum class State { incomplete, complete, failed };

    // Parses as much of `data` as belongs to the current request and returns how many
    // bytes it took: all of them unless the request completed or failed before the end
    // (the rest belongs to the next, pipelined, request). Call again after take().
    std::size_t feed(const char* data, std::size_t size);
    State state() const { return state_; }

    // Whether any byte of the current request has arrived (a connection closed before
    // that is an idle close, after it an incomplete request).
    bool started() const { return started_; }
    bool headersComplete() const { return headersComplete_; }
    // True once, right after headers that carry `Expect: 100-continue` and fit the limits.
    bool takeContinueRequest();

    // The complete request (state() == complete), and whether the connection may carry
    // another one after it. Resets for the next request.
    Request take(bool& keepAlive);
    const ParseError& error() const { return error_; }

private:
    struct Impl;
    friend struct Impl;
    std::unique_ptr<Impl> impl_;
    State state_ = State::incomplete;
    bool started_ = false;
    bool headersComplete_ = false;
    bool continueRequested_ = false;
    ParseError error_;
};

}  // namespace flowgate::http
