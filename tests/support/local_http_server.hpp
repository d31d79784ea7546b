// A Poco HTTP(S) server on a loopback address and port 0, for tests of code that calls
// out: it records every request it answers and counts the connections it accepted.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>

namespace flowgate::test {

struct SeenRequest {
    std::string method;
    std::string uri;
    std::map<std::string, std::string> headers;  // names lower-cased
    std::string body;
};

struct TlsFiles {
    std::string certificate;  // PEM
    std::string privateKey;   // PEM
};

// The files of tests/data/tls (see its README).
TlsFiles testServerTls();     // for localhost and 127.0.0.1, signed by the test CA
TlsFiles testWrongNameTls();  // for wrong-name.invalid only, signed by the test CA
std::string testCaFile();

class LocalHttpServer {
public:
    // Called after the request body was read into `seen`; answers the request.
    using Handler = std::function<void(const SeenRequest& seen, Poco::Net::HTTPServerRequest&,
                                       Poco::Net::HTTPServerResponse&)>;

    // Listens on host:0 (a loopback address such as 127.0.0.1, 127.0.0.2 or ::1); with
    // `tls`, speaks HTTPS with that certificate.
    explicit LocalHttpServer(Handler handler, const std::string& host = "127.0.0.1",
                             const TlsFiles* tls = nullptr);
    ~LocalHttpServer();
    LocalHttpServer(const LocalHttpServer&) = delete;
    LocalHttpServer& operator=(const LocalHttpServer&) = delete;

    int port() const { return port_; }
    // scheme://host:port + path, with the host as given (IPv6 in brackets).
    std::string url(const std::string& path = "/") const;
    std::vector<SeenRequest> requests() const;
    // Connections accepted, answered or not.
    int connections() const;

    struct State;  // shared with the request handlers, which may outlive a request

private:
    std::shared_ptr<State> state_;
    std::unique_ptr<Poco::Net::HTTPServer> server_;
    std::string base_;
    int port_ = 0;
};

// A handler that answers 200 with {"method", "uri", "headers", "body"} as JSON, where
// body is the request body parsed as JSON if it parses, else the text.
LocalHttpServer::Handler echoHandler();

}  // namespace flowgate::test
