// Serving the dashboard (admin/ui_assets.hpp) on the admin listener:
//   / and /ui    302 to /ui/
//   /ui/         index.html
//   /ui/<name>   one of the embedded files; anything else 404 (no file system behind it)
// GET and HEAD only (else 405 with Allow). Every answer carries
// `Content-Security-Policy: default-src 'self'` and `X-Content-Type-Options: nosniff`;
// files carry a strong ETag and `Cache-Control: no-cache`, and If-None-Match gets 304.
// The files need no token: the page asks for it and sends it to /api/ itself.
#pragma once

#include <string_view>

#include "http/http_message.hpp"

namespace flowgate::admin {

// Whether `path` is the dashboard's (then serveUi answers it).
bool isUiPath(std::string_view path);
void serveUi(const http::Request& request, http::Response& response);

}  // namespace flowgate::admin
