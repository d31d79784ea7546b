// The admin listener: a second edge (http/edge_server.hpp) in the intake, apart from the
// public webhook port and on loopback by default. It serves
//   /livez    200 while the process is up
//   /readyz   200 when ready, else 503 (starting, draining, store unavailable, disk alarm)
//   /metrics  Prometheus text
// without a token, and the admin API under /api/ (admin/admin_api.hpp) to callers that
// present `Authorization: Bearer <token>`; others get 401. The dashboard's static files
// are under /ui/ (admin/ui_server.hpp).
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "admin/admin_api.hpp"
#include "config/engine_config.hpp"
#include "http/edge_server.hpp"

namespace flowgate::admin {

struct AdminProbes {
    // true and the details when ready; false and why not (the body of /readyz).
    std::function<std::pair<bool, nlohmann::json>()> readiness;
    std::function<std::string()> metrics;
};

class AdminServer {
public:
    // Binds at once (a taken port fails here), serves after start(). `api` may be set
    // later with setApi (the queue opens after the listener): until then /api/ is 503.
    AdminServer(const config::AdminSettings& settings, std::string token, AdminProbes probes,
                http::EdgeMetrics& metrics);
    ~AdminServer();

    // Any time; the API must outlive the server.
    void setApi(const AdminApi* api) { api_.store(api); }
    void start();
    void stop();
    int port() const;

private:
    void route(const http::Request& request, http::Response& response) const;
    bool authorized(const http::Request& request) const;

    const std::string tokenDigest_;  // SHA-256 of the token: compared in constant time
    AdminProbes probes_;
    std::atomic<const AdminApi*> api_{nullptr};
    http::EdgeServer edge_;
};

}  // namespace flowgate::admin
