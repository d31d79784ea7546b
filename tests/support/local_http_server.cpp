#include "support/local_http_server.hpp"

#include <cctype>
#include <sstream>

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/StreamCopier.h>
#include <Poco/ThreadPool.h>

namespace flowgate::test {

namespace {

std::string lowerCase(std::string text) {
    for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text;
}

}  // namespace

struct LocalHttpServer::Impl {
    class Answer final : public Poco::Net::HTTPRequestHandler {
    public:
        explicit Answer(Impl& impl) : impl_(impl) {}
        void handleRequest(Poco::Net::HTTPServerRequest& request,
                           Poco::Net::HTTPServerResponse& response) override {
            ReceivedRequest received;
            received.method = request.getMethod();
            received.target = request.getURI();
            for (const auto& [name, value] : request) received.headers[lowerCase(name)] = value;
            Poco::StreamCopier::copyToString(request.stream(), received.body);
            CannedResponse answer = impl_.handler(received);
            {
                std::lock_guard lock(impl_.mutex);
                impl_.received.push_back(std::move(received));
            }
            response.setStatusAndReason(
                static_cast<Poco::Net::HTTPResponse::HTTPStatus>(answer.status));
            for (const auto& [name, value] : answer.headers) response.set(name, value);
            response.setContentType(answer.contentType);
            response.sendBuffer(answer.body.data(), answer.body.size());
        }

    private:
        Impl& impl_;
    };

    // Owned by the server, which is stopped and destroyed before the Impl.
    class Factory final : public Poco::Net::HTTPRequestHandlerFactory {
    public:
        explicit Factory(Impl& impl) : impl_(impl) {}
        Poco::Net::HTTPRequestHandler* createRequestHandler(
            const Poco::Net::HTTPServerRequest&) override {
            return new Answer(impl_);
        }

    private:
        Impl& impl_;
    };

    explicit Impl(Handler h) : handler(std::move(h)) {}

    Handler handler;
    mutable std::mutex mutex;
    std::vector<ReceivedRequest> received;
    Poco::ThreadPool pool{2, 8};
    std::unique_ptr<Poco::Net::HTTPServer> server;
};

LocalHttpServer::LocalHttpServer(Handler handler) : impl_(std::make_unique<Impl>(std::move(handler))) {
    Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
    Poco::Net::HTTPServerParams::Ptr params = new Poco::Net::HTTPServerParams;
    params->setKeepAlive(false);
    impl_->server = std::make_unique<Poco::Net::HTTPServer>(new Impl::Factory(*impl_),
                                                            impl_->pool, socket, params);
    impl_->server->start();
}

LocalHttpServer::~LocalHttpServer() {
    impl_->server->stopAll(true);
    impl_->server.reset();
    impl_->pool.joinAll();
}

int LocalHttpServer::port() const { return impl_->server->port(); }

std::string LocalHttpServer::url(const std::string& target) const {
    return "http://127.0.0.1:" + std::to_string(port()) + target;
}

std::vector<ReceivedRequest> LocalHttpServer::requests() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->received;
}

}  // namespace flowgate::test
