#include "admin/ui_server.hpp"

#include "admin/ui_assets.hpp"
#include "http/json_response.hpp"

namespace flowgate::admin {

namespace {

void secure(http::Response& response) {
    response.set("Content-Security-Policy", "default-src 'self'");
    response.set("X-Content-Type-Options", "nosniff");
    response.set("X-Frame-Options", "DENY");
    response.set("Referrer-Policy", "no-referrer");
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

// If-None-Match compares weakly (RFC 9110 §13.1.2): W/"x" matches "x"; * matches any.
bool matches(std::string_view ifNoneMatch, std::string_view etag) {
    while (!ifNoneMatch.empty()) {
        const std::size_t comma = ifNoneMatch.find(',');
        std::string_view tag = trim(ifNoneMatch.substr(0, comma));
        ifNoneMatch = comma == std::string_view::npos ? std::string_view{}
                                                      : ifNoneMatch.substr(comma + 1);
        if (tag == "*") return true;
        if (tag.starts_with("W/")) tag.remove_prefix(2);
        if (tag == etag) return true;
    }
    return false;
}

}  // namespace

bool isUiPath(std::string_view path) {
    return path == "/" || path == "/ui" || path.starts_with("/ui/");
}

void serveUi(const http::Request& request, http::Response& response) {
    secure(response);
    if (request.method != "GET" && request.method != "HEAD") {
        response.set("Allow", "GET, HEAD");
        return http::sendError(response, 405, "method_not_allowed", "the dashboard takes GET");
    }
    const std::string_view path = request.path();
    if (path == "/" || path == "/ui") {
        response.status = 302;
        response.set("Location", "/ui/");
        return;
    }
    std::string_view name = path.substr(4);  // after "/ui/"
    if (name.empty()) name = "index.html";
    // Exact names of the embedded files only: "../x", "%2e%2e", "a/b" are simply unknown.
    const UiAsset* asset = findUiAsset(name);
    if (!asset) return http::sendError(response, 404, "not_found", "no such file");
    response.set("ETag", std::string(asset->etag));
    response.set("Cache-Control", "no-cache");
    if (matches(request.header("if-none-match"), asset->etag)) {
        response.status = 304;
        return;
    }
    response.status = 200;
    response.set("Content-Type", std::string(asset->contentType));
    response.body.assign(asset->body);
}

}  // namespace flowgate::admin
