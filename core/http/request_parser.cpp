#include "http/request_parser.hpp"

#include <llhttp.h>

#include <cstdint>

#include <Poco/String.h>

namespace flowgate::http {

struct RequestParser::Impl {
    RequestParser& owner;
    const ParseLimits limits;
    llhttp_t parser{};
    Request request;
    std::string field;  // the header name being read
    std::string value;
    bool inValue = false;
    std::size_t headerBytes = 0;
    bool keepAlive = false;
    bool expectContinue = false;
    // llhttp accepts obs-fold (a line starting with SP or HT continues the previous
    // value); RFC 9112 §5.2 lets a server reject it, and a proxy in front may read such a
    // field differently. Found by scanning the header section before llhttp sees it.
    bool scanningHeaders = true;
    bool sawContent = false;  // a byte other than CR/LF: leading empty lines are skipped
    std::uint32_t lastBytes = 0;

    // False if the header section in `data` has obs-fold.
    bool scanHeaders(const char* data, std::size_t size) {
        for (std::size_t i = 0; i < size && scanningHeaders; ++i) {
            const char ch = data[i];
            if ((ch == ' ' || ch == '\t') && (lastBytes & 0xff) == '\n' && sawContent) return false;
            if (ch != '\r' && ch != '\n') sawContent = true;
            lastBytes = (lastBytes << 8) | static_cast<unsigned char>(ch);
            if (lastBytes == 0x0d0a0d0a && sawContent) scanningHeaders = false;
        }
        return true;
    }

    Impl(RequestParser& o, const ParseLimits& l) : owner(o), limits(l) {
        llhttp_init(&parser, HTTP_REQUEST, &settings());
        parser.data = this;
    }

    static Impl& of(llhttp_t* p) { return *static_cast<Impl*>(p->data); }

    // Refuses the request from a callback: llhttp stops with HPE_USER.
    int refuse(int status, std::string code, std::string message) {
        owner.error_ = {status, std::move(code), std::move(message)};
        return HPE_USER;
    }

    int countHeaderBytes(std::size_t n) {
        headerBytes += n;
        if (headerBytes > limits.maxHeaderBytes)
            return refuse(400, "headers_too_large",
                          "the request line and headers exceed " +
                              std::to_string(limits.maxHeaderBytes) + " bytes");
        return 0;
    }

    int finishField() {
        if (!inValue) return 0;
        inValue = false;
        if (request.headers.size() >= limits.maxHeaderFields)
            return refuse(400, "too_many_headers",
                          "more than " + std::to_string(limits.maxHeaderFields) + " header fields");
        while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.pop_back();
        request.headers.emplace_back(std::move(field), std::move(value));
        field.clear();
        value.clear();
        return 0;
    }

    int headersDone() {
        if (int rc = finishField()) return rc;
        const int major = llhttp_get_http_major(&parser), minor = llhttp_get_http_minor(&parser);
        if (major != 1 || minor > 1)
            return refuse(505, "http_version_not_supported",
                          "only HTTP/1.0 and HTTP/1.1 are served");
        request.versionMinor = minor;
        request.method =
            llhttp_method_name(static_cast<llhttp_method_t>(llhttp_get_method(&parser)));
        if (request.method == "CONNECT" || llhttp_get_upgrade(&parser))
            return refuse(400, "upgrade_refused", "CONNECT and protocol upgrades are not served");
        if (request.target.empty() || request.target.front() != '/')
            return refuse(400, "malformed_target", "the request target must be a path");
        std::size_t hosts = 0;
        for (const auto& [name, v] : request.headers) {
            if (name == "host") ++hosts;
            if (name == "expect") {
                if (Poco::icompare(v, "100-continue") == 0)
                    expectContinue = true;
                else
                    return refuse(417, "expectation_failed", "only Expect: 100-continue is known");
            }
        }
        if (hosts > 1 || (hosts == 0 && minor == 1))
            return refuse(400, "bad_host", "an HTTP/1.1 request needs exactly one Host field");
        if ((parser.flags & F_CONTENT_LENGTH) && parser.content_length > limits.maxBodyBytes)
            return bodyTooLarge();
        owner.headersComplete_ = true;
        owner.continueRequested_ = expectContinue;
        return 0;
    }

    int bodyTooLarge() {
        return refuse(413, "body_too_large",
                      "request body exceeds " + std::to_string(limits.maxBodyBytes) + " bytes");
    }

    static const llhttp_settings_t& settings() {
        static const llhttp_settings_t s = [] {
            llhttp_settings_t s;
            llhttp_settings_init(&s);
            s.on_message_begin = [](llhttp_t* p) {
                auto& self = of(p);
                self.owner.started_ = true;
                return 0;
            };
            s.on_url = [](llhttp_t* p, const char* at, std::size_t n) {
                auto& self = of(p);
                self.request.target.append(at, n);
                return self.countHeaderBytes(n);
            };
            s.on_header_field = [](llhttp_t* p, const char* at, std::size_t n) {
                auto& self = of(p);
                if (int rc = self.finishField()) return rc;
                for (std::size_t i = 0; i < n; ++i)
                    self.field +=
                        static_cast<char>(at[i] >= 'A' && at[i] <= 'Z' ? at[i] + 32 : at[i]);
                return self.countHeaderBytes(n);
            };
            s.on_header_value = [](llhttp_t* p, const char* at, std::size_t n) {
                auto& self = of(p);
                self.inValue = true;
                self.value.append(at, n);
                return self.countHeaderBytes(n + 4);  // with ": " and CRLF
            };
            s.on_header_value_complete = [](llhttp_t* p) {
                auto& self = of(p);
                self.inValue = true;  // an empty value has no data callback
                return self.finishField();
            };
            s.on_headers_complete = [](llhttp_t* p) {
                const int rc = of(p).headersDone();
                return rc == 0 ? 0 : -1;
            };
            s.on_body = [](llhttp_t* p, const char* at, std::size_t n) {
                auto& self = of(p);
                if (self.request.body.size() + n > self.limits.maxBodyBytes)
                    return self.bodyTooLarge();
                if (self.request.body.empty() && (p->flags & F_CONTENT_LENGTH))
                    self.request.body.reserve(static_cast<std::size_t>(p->content_length) + n +
                                              kBodyTailroom);
                self.request.body.append(at, n);
                return 0;
            };
            s.on_message_complete = [](llhttp_t* p) {
                auto& self = of(p);
                self.keepAlive = llhttp_should_keep_alive(p) != 0;
                self.owner.state_ = State::complete;
                return static_cast<int>(HPE_PAUSED);
            };
            return s;
        }();
        return s;
    }
};

namespace {

// What llhttp's own refusals tell the caller.
ParseError fromLlhttp(llhttp_errno_t error, const char* reason) {
    switch (error) {
        case HPE_INVALID_VERSION:
            return {505, "http_version_not_supported", "only HTTP/1.0 and HTTP/1.1 are served"};
        case HPE_UNEXPECTED_CONTENT_LENGTH:
            return {400, "ambiguous_framing",
                    "Content-Length together with Transfer-Encoding, or more than one "
                    "Content-Length"};
        case HPE_INVALID_CONTENT_LENGTH:
            return {400, "invalid_content_length", "Content-Length is not a valid length"};
        case HPE_INVALID_CHUNK_SIZE:
            return {400, "invalid_chunk_size", "a chunk size is not valid hexadecimal"};
        case HPE_INVALID_TRANSFER_ENCODING:
            return {400, "invalid_transfer_encoding",
                    "Transfer-Encoding must end with chunked in a request"};
        default:
            return {400, "malformed_request",
                    std::string("the request is not valid HTTP/1.1: ") + (reason ? reason : "")};
    }
}

}  // namespace

RequestParser::RequestParser(const ParseLimits& limits)
    : impl_(std::make_unique<Impl>(*this, limits)) {}

RequestParser::~RequestParser() = default;

std::size_t RequestParser::feed(const char* data, std::size_t size) {
    if (state_ != State::incomplete || size == 0) return 0;
    llhttp_t* p = &impl_->parser;
    if (impl_->scanningHeaders && !impl_->scanHeaders(data, size)) {
        state_ = State::failed;
        error_ = {400, "malformed_request",
                  "the request is not valid HTTP/1.1: obs-fold (a header line starting with "
                  "whitespace) is not accepted"};
        return 0;
    }
    const llhttp_errno_t rc = llhttp_execute(p, data, size);
    if (rc == HPE_OK) return size;
    if (rc == HPE_PAUSED && state_ == State::complete) {
        const std::size_t used = static_cast<std::size_t>(llhttp_get_error_pos(p) - data);
        llhttp_resume(p);
        return used;
    }
    state_ = State::failed;
    // Our callbacks set error_ before they refuse; anything else is llhttp's own verdict.
    if (error_.code.empty()) error_ = fromLlhttp(rc, llhttp_get_error_reason(p));
    const char* at = llhttp_get_error_pos(p);
    return at && at >= data && at <= data + size ? static_cast<std::size_t>(at - data) : size;
}

bool RequestParser::takeContinueRequest() {
    const bool requested = continueRequested_;
    continueRequested_ = false;
    return requested;
}

Request RequestParser::take(bool& keepAlive) {
    Impl& impl = *impl_;
    keepAlive = impl.keepAlive;
    // Field by field: moving or resetting a whole Request copies its Poco addresses (no
    // move constructors in Poco 1.11: an allocation each), which the parser never sets.
    Request request;
    Request& parsed = impl.request;
    request.method = std::move(parsed.method);
    request.target = std::move(parsed.target);
    request.versionMinor = parsed.versionMinor;
    request.headers = std::move(parsed.headers);
    request.body = std::move(parsed.body);
    parsed.method.clear();
    parsed.target.clear();
    parsed.versionMinor = 1;
    parsed.headers.clear();
    parsed.body.clear();
    impl.field.clear();
    impl.value.clear();
    impl.inValue = false;
    impl.headerBytes = 0;
    impl.keepAlive = false;
    impl.expectContinue = false;
    impl.scanningHeaders = true;
    impl.sawContent = false;
    impl.lastBytes = 0;
    state_ = State::incomplete;
    started_ = false;
    headersComplete_ = false;
    continueRequested_ = false;
    return request;
}

}  // namespace flowgate::http
