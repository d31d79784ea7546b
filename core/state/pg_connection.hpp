// libpq, as the shared state uses it: a pool of connections, each used by one thread at a
// time, and transactions sent as one pipeline (one round trip, one commit).
#pragma once

#include <libpq-fe.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace flowgate::state::pg {

// A statement and its parameters, sent as text ($1 is params[0]; nullopt is NULL).
struct Statement {
    std::string sql;
    std::vector<std::optional<std::string>> params;
};

// A text[] literal of `values` for a $n::text[] parameter.
std::string textArray(const std::vector<std::string>& values);

class Result {
public:
    explicit Result(PGresult* result) : result_(result, PQclear) {}
    int rows() const { return PQntuples(result_.get()); }
    bool isNull(int row, int column) const { return PQgetisnull(result_.get(), row, column) != 0; }
    std::string text(int row, int column) const;
    std::int64_t integer(int row, int column) const;
    bool boolean(int row, int column) const;  // 't' / 'f'
    // The number of rows an INSERT/UPDATE/DELETE changed.
    std::int64_t changed() const;

private:
    std::shared_ptr<PGresult> result_;
};

// A failed statement or a lost connection. `sqlState` is the server's SQLSTATE ("" when
// the connection failed before the server answered).
class Error : public std::runtime_error {
public:
    Error(const std::string& message, std::string sqlState)
        : std::runtime_error(message), sqlState_(std::move(sqlState)) {}
    const std::string& sqlState() const { return sqlState_; }
    // Serialization failure or deadlock: the transaction was rolled back and may be
    // tried again as it is.
    bool retryable() const { return sqlState_ == "40001" || sqlState_ == "40P01"; }

private:
    std::string sqlState_;
};

struct ConnectOptions {
    std::string url;  // conninfo or URI; never put into messages
    std::chrono::milliseconds timeout{5000};
    std::string applicationName = "flowgate";
};

// One libpq connection, connected on first use and again after it broke.
class Connection {
public:
    explicit Connection(const ConnectOptions& options) : options_(options) {}
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    // Runs `statements` as one transaction in one pipeline: all of them commit or none
    // (the first error rolls the rest back). One result per statement. Throws Error.
    std::vector<Result> transaction(const std::vector<Statement>& statements);

private:
    // Connected and idle, connecting again if the server closed the connection meanwhile
    // (a restart): an idle socket that turned readable holds the server's goodbye.
    PGconn* ready();
    void drop();

    const ConnectOptions& options_;
    PGconn* conn_ = nullptr;
};

// A fixed number of connections; borrow() waits for a free one.
class Pool {
public:
    Pool(ConnectOptions options, std::size_t size);

    class Lease {
    public:
        Lease(Pool& pool, std::unique_ptr<Connection> conn) : pool_(pool), conn_(std::move(conn)) {}
        ~Lease() { pool_.giveBack(std::move(conn_)); }
        Lease(const Lease&) = delete;
        Lease& operator=(const Lease&) = delete;
        Connection* operator->() { return conn_.get(); }

    private:
        Pool& pool_;
        std::unique_ptr<Connection> conn_;
    };
    Lease borrow();

    // Runs `statements` as one transaction on a borrowed connection, again (up to 3
    // times) when the server rolled it back for a serialization failure or deadlock.
    std::vector<Result> transaction(const std::vector<Statement>& statements);

private:
    void giveBack(std::unique_ptr<Connection> conn);

    const ConnectOptions options_;
    std::mutex mutex_;
    std::condition_variable freed_;
    std::vector<std::unique_ptr<Connection>> idle_;
};

}  // namespace flowgate::state::pg
