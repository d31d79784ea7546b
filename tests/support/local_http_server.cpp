#include "support/local_http_server.hpp"
#include "support/build_paths.hpp"

#include <sstream>

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/StreamCopier.h>
#include <Poco/String.h>
#include <nlohmann/json.hpp>

namespace flowgate::test {

struct LocalHttpServer::State {
    Handler handler;
    mutable std::mutex mutex;
    std::vector<SeenRequest> requests;
};

namespace {

class Recorder final : public Poco::Net::HTTPRequestHandler {
public:
    explicit Recorder(std::shared_ptr<LocalHttpServer::State> state) : state_(std::move(state)) {}
    void handleRequest(Poco::Net::HTTPServerRequest& request,
                       Poco::Net::HTTPServerResponse& response) override;

private:
    std::shared_ptr<LocalHttpServer::State> state_;
};

class Factory final : public Poco::Net::HTTPRequestHandlerFactory {
public:
    explicit Factory(std::shared_ptr<LocalHttpServer::State> state) : state_(std::move(state)) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(
        const Poco::Net::HTTPServerRequest&) override {
        return new Recorder(state_);
    }

private:
    std::shared_ptr<LocalHttpServer::State> state_;
};

void Recorder::handleRequest(Poco::Net::HTTPServerRequest& request,
                             Poco::Net::HTTPServerResponse& response) {
    SeenRequest seen;
    seen.method = request.getMethod();
    seen.uri = request.getURI();
    for (const auto& [name, value] : request) seen.headers[Poco::toLower(name)] = value;
    Poco::StreamCopier::copyToString(request.stream(), seen.body);
    {
        std::lock_guard lock(state_->mutex);
        state_->requests.push_back(seen);
    }
    state_->handler(seen, request, response);
}

std::string dataFile(const std::string& name) {
    return std::string(flowgate::test::paths::testDataDir) + "/tls/" + name;
}

}  // namespace

TlsFiles testServerTls() {
    return {dataFile("server.pem"), dataFile("server.key")};
}
TlsFiles testWrongNameTls() {
    return {dataFile("wrong-name.pem"), dataFile("wrong-name.key")};
}
std::string testCaFile() {
    return dataFile("ca.pem");
}

LocalHttpServer::LocalHttpServer(Handler handler, const std::string& host, const TlsFiles* tls)
    : state_(std::make_shared<State>()) {
    state_->handler = std::move(handler);
    const Poco::Net::SocketAddress address(host, 0);
    Poco::Net::ServerSocket socket;
    if (tls) {
        Poco::Net::Context::Ptr context =
            new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, tls->privateKey,
                                   tls->certificate, "", Poco::Net::Context::VERIFY_NONE);
        socket = Poco::Net::SecureServerSocket(address, 64, context);
    } else {
        socket = Poco::Net::ServerSocket(address, 64);
    }
    port_ = socket.address().port();
    const std::string shownHost = host.find(':') != std::string::npos ? "[" + host + "]" : host;
    base_ = std::string(tls ? "https://" : "http://") + shownHost + ":" + std::to_string(port_);
    Poco::Net::HTTPServerParams::Ptr params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(8);
    params->setKeepAlive(false);
    server_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(state_), socket, params);
    server_->start();
}

LocalHttpServer::~LocalHttpServer() {
    server_->stopAll(true);
}

std::string LocalHttpServer::url(const std::string& path) const {
    return base_ + path;
}

std::vector<SeenRequest> LocalHttpServer::requests() const {
    std::lock_guard lock(state_->mutex);
    return state_->requests;
}

int LocalHttpServer::connections() const {
    return server_->totalConnections();
}

LocalHttpServer::Handler echoHandler() {
    return [](const SeenRequest& seen, Poco::Net::HTTPServerRequest&,
              Poco::Net::HTTPServerResponse& response) {
        nlohmann::json body = nlohmann::json::parse(seen.body, nullptr, false);
        if (body.is_discarded()) body = seen.body;
        const nlohmann::json echo = {
            {"method", seen.method}, {"uri", seen.uri}, {"headers", seen.headers}, {"body", body}};
        response.setContentType("application/json");
        response.send() << echo.dump();
    };
}

}  // namespace flowgate::test
