// A private PostgreSQL server for tests: Debian's PostgreSQL 15 binaries on a free
// loopback port, its data in a temp directory, owned by the test so that a test can stop
// it, kill -9 it and start it again from its data. PostgreSQL refuses to run as root, so
// as root (CI, this machine) every server command runs as the `postgres` user, which also
// owns the data directory.
//
// initdb takes about 2 s, so it runs once per machine into a template directory (under a
// file lock; ctest runs tests in parallel) that each server copies.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>

namespace flowgate::test {

class PostgresServer {
public:
    // Initializes a data directory and starts the server. Throws (with the server's log)
    // if it does not come up within 30 s.
    PostgresServer();
    // Stops the server (immediate mode) and removes its directory.
    ~PostgresServer();
    PostgresServer(const PostgresServer&) = delete;
    PostgresServer& operator=(const PostgresServer&) = delete;

    // One server per test process, started on first use, for tests that never stop it.
    static PostgresServer& shared();

    int port() const { return port_; }
    // postgresql://flowgate:<password>@127.0.0.1:<port>/<database>
    std::string url(const std::string& database = "postgres") const;
    // Creates an empty schema, named as none before in this server, and returns a URL
    // whose connections work in it (search_path): a private store for one test.
    std::string createSchema();

    // A fast shutdown (pg_ctl -m fast): clients are disconnected, data is kept.
    void stop();
    // SIGKILL to the postmaster and its children, as a crash would; waits until they are
    // gone so that start() finds the data directory free.
    void kill9();
    // Starts the server again from its data directory, on the same port.
    void start();
    bool running() const { return postmaster_ > 0; }
    // The postmaster's process id (-1 while stopped).
    pid_t pid() const { return postmaster_; }
    // What the server logged, for a failing test's message.
    std::string log() const;

private:
    std::filesystem::path dir_;   // owned by the server's user; data/ and server.log inside
    int port_ = 0;
    pid_t postmaster_ = -1;
    int schemas_ = 0;
};

}  // namespace flowgate::test
