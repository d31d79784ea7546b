// The dashboard's static files on the admin listener (admin/ui_server.hpp): headers,
// ETags and 304, redirects, methods, and that no name outside the embedded set serves.
#include <map>

#include <catch2/catch.hpp>

#include "admin/ui_assets.hpp"
#include "admin/ui_server.hpp"

using namespace flowgate;

namespace {

std::string header(const http::Response& r, const std::string& name) {
    for (const auto& [n, v] : r.headers)
        if (n == name) return v;
    return "";
}

http::Response get(const std::string& target, const std::string& method = "GET",
                   std::vector<std::pair<std::string, std::string>> headers = {}) {
    http::Request request;
    request.method = method;
    request.target = target;
    request.headers = std::move(headers);
    http::Response response;
    admin::serveUi(request, response);
    return response;
}

}  // namespace

TEST_CASE("ui: every file is served with its type, CSP, nosniff, a strong ETag and no-cache",
          "[unit][admin][ui]") {
    const std::map<std::string, std::string> types = {
        {"index.html", "text/html; charset=utf-8"},   {"app.js", "text/javascript; charset=utf-8"},
        {"api.js", "text/javascript; charset=utf-8"}, {"views.js", "text/javascript; charset=utf-8"},
        {"style.css", "text/css; charset=utf-8"},     {"favicon.svg", "image/svg+xml"}};
    REQUIRE(admin::uiAssets().size() == types.size());
    for (const auto& [name, type] : types) {
        INFO(name);
        const auto* asset = admin::findUiAsset(name);
        REQUIRE(asset);
        const auto r = get("/ui/" + name);
        CHECK(r.status == 200);
        CHECK(header(r, "Content-Type") == type);
        CHECK(header(r, "Content-Security-Policy") == "default-src 'self'");
        CHECK(header(r, "X-Content-Type-Options") == "nosniff");
        CHECK(header(r, "Cache-Control") == "no-cache");
        const std::string etag = header(r, "ETag");
        CHECK(etag.size() == 34);
        CHECK(etag.front() == '"');
        CHECK(etag.find("W/") == std::string::npos);
        CHECK(r.body == asset->body);
        CHECK(!r.body.empty());
    }
    // Different content, different tags.
    CHECK(header(get("/ui/app.js"), "ETag") != header(get("/ui/api.js"), "ETag"));
}

TEST_CASE("ui: /ui/ is the index, / and /ui redirect to it", "[unit][admin][ui]") {
    const auto index = get("/ui/");
    CHECK(index.status == 200);
    CHECK(index.body.find("<script type=\"module\" src=\"app.js\">") != std::string::npos);
    CHECK(get("/ui/?x=1").status == 200);
    for (const char* target : {"/", "/ui"}) {
        const auto r = get(target);
        CHECK(r.status == 302);
        CHECK(header(r, "Location") == "/ui/");
        CHECK(header(r, "Content-Security-Policy") == "default-src 'self'");
    }
}

TEST_CASE("ui: If-None-Match with the current tag is 304 without a body", "[unit][admin][ui]") {
    const std::string etag = header(get("/ui/style.css"), "ETag");
    for (const std::string& inm : {etag, "W/" + etag, "\"other\", " + etag, std::string("*")}) {
        INFO(inm);
        const auto r = get("/ui/style.css", "GET", {{"if-none-match", inm}});
        CHECK(r.status == 304);
        CHECK(r.body.empty());
        CHECK(header(r, "ETag") == etag);
        CHECK(header(r, "Cache-Control") == "no-cache");
    }
    CHECK(get("/ui/style.css", "GET", {{"if-none-match", "\"stale\""}}).status == 200);
}

TEST_CASE("ui: only GET and HEAD", "[unit][admin][ui]") {
    CHECK(get("/ui/app.js", "HEAD").status == 200);
    for (const char* method : {"POST", "PUT", "DELETE", "OPTIONS"}) {
        const auto r = get("/ui/app.js", method);
        CHECK(r.status == 405);
        CHECK(header(r, "Allow") == "GET, HEAD");
    }
}

TEST_CASE("ui: names outside the embedded files are 404, traversal included",
          "[unit][admin][ui]") {
    for (const char* target :
         {"/ui/../admin-token", "/ui/..%2fadmin-token", "/ui/%2e%2e/etc/passwd", "/ui/./app.js",
          "/ui//app.js", "/ui/app.js/", "/ui/APP.JS", "/ui/app.js%00", "/ui/nope.html",
          "/ui/ui_assets.hpp", "/ui/../../etc/passwd", "/ui/%61pp.js"}) {
        INFO(target);
        const auto r = get(target);
        CHECK(r.status == 404);
        CHECK(header(r, "X-Content-Type-Options") == "nosniff");
    }
    CHECK(admin::isUiPath("/ui/x"));
    CHECK(!admin::isUiPath("/uix"));
    CHECK(!admin::isUiPath("/api/v1/flows"));
}
