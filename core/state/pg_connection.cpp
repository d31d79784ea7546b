#include "state/pg_connection.hpp"

#include <poll.h>

#include <algorithm>
#include <charconv>

namespace flowgate::state::pg {

namespace {

// libpq's messages end with a newline, some with several lines: one line for a log.
std::string oneLine(const char* message) {
    std::string text = message ? message : "";
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    std::replace(text.begin(), text.end(), '\n', ' ');
    return text.empty() ? "unknown error" : text;
}

std::string sqlStateOf(const PGresult* result) {
    const char* state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
    return state ? state : "";
}

}  // namespace

std::string textArray(const std::vector<std::string>& values) {
    std::string out = "{";
    for (std::size_t i = 0; i < values.size(); ++i) {
        if (i) out += ',';
        out += '"';
        for (const char c : values[i]) {
            if (c == '"' || c == '\\') out += '\\';
            out += c;
        }
        out += '"';
    }
    out += '}';
    return out;
}

std::string Result::text(int row, int column) const {
    return std::string(PQgetvalue(result_.get(), row, column),
                       static_cast<std::size_t>(PQgetlength(result_.get(), row, column)));
}

std::int64_t Result::integer(int row, int column) const {
    const char* value = PQgetvalue(result_.get(), row, column);
    const char* end = value + PQgetlength(result_.get(), row, column);
    std::int64_t out = 0;
    std::from_chars(value, end, out);
    return out;
}

bool Result::boolean(int row, int column) const {
    return PQgetvalue(result_.get(), row, column)[0] == 't';
}

std::int64_t Result::changed() const {
    const char* tuples = PQcmdTuples(result_.get());
    std::int64_t out = 0;
    std::from_chars(tuples, tuples + std::char_traits<char>::length(tuples), out);
    return out;
}

Connection::~Connection() { drop(); }

void Connection::drop() {
    if (conn_) PQfinish(conn_);
    conn_ = nullptr;
}

PGconn* Connection::ready() {
    if (conn_ && PQstatus(conn_) == CONNECTION_OK) {
        pollfd fd{PQsocket(conn_), POLLIN, 0};
        const bool readable = poll(&fd, 1, 0) > 0;
        if (!readable) return conn_;
        // Idle, yet the server sent something: its termination notice or EOF.
        if (PQconsumeInput(conn_) != 0 && PQstatus(conn_) == CONNECTION_OK && !PQisBusy(conn_)) {
            while (PGresult* stray = PQgetResult(conn_)) PQclear(stray);
            if (PQstatus(conn_) == CONNECTION_OK) {
                fd.revents = 0;
                if (poll(&fd, 1, 0) == 0) return conn_;
            }
        }
    }
    drop();
    const auto seconds = std::max<std::int64_t>(
        1, std::chrono::duration_cast<std::chrono::seconds>(options_.timeout).count());
    const std::string timeoutMs = std::to_string(options_.timeout.count());
    const std::string connectTimeout = std::to_string(seconds);
    // Later keywords override what the URL (expanded from dbname) says. A dead peer is
    // noticed within `timeout` (unacknowledged data, keepalives); a statement that runs
    // longer is cancelled by the server.
    const char* keywords[] = {"dbname",           "connect_timeout", "application_name",
                              "tcp_user_timeout", "keepalives",      "keepalives_idle",
                              "keepalives_interval", "keepalives_count", nullptr};
    const char* values[] = {options_.url.c_str(),
                            connectTimeout.c_str(),
                            options_.applicationName.c_str(),
                            timeoutMs.c_str(),
                            "1",
                            connectTimeout.c_str(),
                            "1",
                            "3",
                            nullptr};
    conn_ = PQconnectdbParams(keywords, values, 1);
    if (!conn_ || PQstatus(conn_) != CONNECTION_OK) {
        const std::string message =
            "cannot connect to PostgreSQL: " + oneLine(conn_ ? PQerrorMessage(conn_) : nullptr);
        drop();
        throw Error(message, "");
    }
    // Set here rather than as the `options` keyword, which would replace the options
    // the URL may carry (a search_path, say).
    PGresult* set = PQexec(conn_, ("SET statement_timeout = " + timeoutMs).c_str());
    const bool ok = PQresultStatus(set) == PGRES_COMMAND_OK;
    PQclear(set);
    if (!ok) {
        const std::string message = "cannot set up the connection: " + oneLine(PQerrorMessage(conn_));
        drop();
        throw Error(message, "");
    }
    return conn_;
}

std::vector<Result> Connection::transaction(const std::vector<Statement>& statements) {
    PGconn* conn = ready();
    auto broken = [&](const std::string& what) {
        const std::string message = what + ": " + oneLine(PQerrorMessage(conn));
        drop();  // in an unknown state: the next call connects again
        return Error(message, "");
    };
    if (PQenterPipelineMode(conn) != 1) throw broken("cannot enter pipeline mode");
    for (const auto& statement : statements) {
        std::vector<const char*> values;
        values.reserve(statement.params.size());
        for (const auto& p : statement.params) values.push_back(p ? p->c_str() : nullptr);
        if (PQsendQueryParams(conn, statement.sql.c_str(), static_cast<int>(values.size()),
                              nullptr, values.data(), nullptr, nullptr, 0) != 1)
            throw broken("cannot send a statement");
    }
    // The statements between two syncs are one implicit transaction, committed at the
    // sync: nothing is applied unless every statement succeeds.
    if (PQpipelineSync(conn) != 1) throw broken("cannot send the statements");

    std::vector<Result> results;
    results.reserve(statements.size());
    std::optional<Error> failure;
    for (std::size_t i = 0; i < statements.size(); ++i) {
        PGresult* first = PQgetResult(conn);
        if (!first) throw broken("PostgreSQL connection lost");
        Result result(first);
        const auto status = PQresultStatus(first);
        if (status == PGRES_FATAL_ERROR && !failure) {
            failure.emplace("PostgreSQL: " + oneLine(PQresultErrorMessage(first)), sqlStateOf(first));
        } else if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK &&
                   status != PGRES_PIPELINE_ABORTED && status != PGRES_FATAL_ERROR) {
            throw broken("unexpected PostgreSQL result");
        }
        // Each statement's results end with a null.
        while (PGresult* extra = PQgetResult(conn)) PQclear(extra);
        results.push_back(std::move(result));
    }
    PGresult* sync = PQgetResult(conn);
    if (!sync) throw broken("PostgreSQL connection lost before the commit");
    const auto syncStatus = PQresultStatus(sync);
    PQclear(sync);
    if (syncStatus != PGRES_PIPELINE_SYNC) throw broken("PostgreSQL connection lost at the commit");
    if (PQexitPipelineMode(conn) != 1) throw broken("cannot leave pipeline mode");
    if (failure) throw *failure;
    return results;
}

Pool::Pool(ConnectOptions options, std::size_t size) : options_(std::move(options)) {
    for (std::size_t i = 0; i < std::max<std::size_t>(size, 1); ++i)
        idle_.push_back(std::make_unique<Connection>(options_));
}

Pool::Lease Pool::borrow() {
    std::unique_lock lock(mutex_);
    freed_.wait(lock, [&] { return !idle_.empty(); });
    auto conn = std::move(idle_.back());
    idle_.pop_back();
    return Lease(*this, std::move(conn));
}

void Pool::giveBack(std::unique_ptr<Connection> conn) {
    {
        std::lock_guard lock(mutex_);
        idle_.push_back(std::move(conn));
    }
    freed_.notify_one();
}

std::vector<Result> Pool::transaction(const std::vector<Statement>& statements) {
    for (int attempt = 1;; ++attempt) {
        try {
            return borrow()->transaction(statements);
        } catch (const Error& e) {
            if (!e.retryable() || attempt == 3) throw;
        }
    }
}

}  // namespace flowgate::state::pg
