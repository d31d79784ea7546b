#include "cli/admin_commands.hpp"

#include <cstdlib>
#include <fstream>
#include <map>
#include <optional>
#include <set>

#include <nlohmann/json.hpp>

#include "admin/admin_token.hpp"
#include "cli/admin_client.hpp"
#include "config/engine_config.hpp"

namespace flowgate::cli {

using nlohmann::json;

namespace {

// A bad command line; what() is the one line printed.
struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// The options every admin command accepts. Hand-parsed: a dozen flags do not justify a
// new dependency (CLI11), and the other commands parse the same way.
struct Options {
    std::vector<std::string> words;  // positional
    std::map<std::string, std::string> values;
    bool json = false;
    bool all = false;
};

const std::set<std::string> kValueOptions = {"--admin-url", "--token-file", "--config",
                                             "--flow",      "--status",     "--limit",
                                             "--since",     "--until",      "--cursor"};

Options parse(const std::vector<std::string>& args) {
    Options options;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& arg = args[i];
        if (arg == "--json") {
            options.json = true;
        } else if (arg == "--all") {
            options.all = true;
        } else if (kValueOptions.count(arg)) {
            if (i + 1 >= args.size()) throw UsageError("option " + arg + " needs a value");
            options.values[arg] = args[++i];
        } else if (arg.starts_with("--")) {
            throw UsageError("unknown option '" + arg + "'");
        } else {
            options.words.push_back(arg);
        }
    }
    return options;
}

std::string value(const Options& o, const std::string& name) {
    const auto it = o.values.find(name);
    return it == o.values.end() ? std::string() : it->second;
}

std::string trimmed(std::string text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' '))
        text.pop_back();
    return text;
}

// Where the engine of --config (default ./config) listens for admin calls, and its token:
// --admin-url / --token-file, FLOWGATE_ADMIN_TOKEN, or the token file in its data dir.
AdminClient clientFor(const Options& o) {
    config::ConfigErrors ignored;  // a missing or broken engine.json leaves the defaults
    const std::string configDir = value(o, "--config").empty() ? "config" : value(o, "--config");
    const auto engine = config::loadEngineConfig(configDir, ignored);
    std::string url = value(o, "--admin-url");
    if (url.empty()) {
        std::string host = engine.admin.host;
        if (host == "0.0.0.0" || host == "::") host = "127.0.0.1";  // any address: ask here
        if (host.find(':') != std::string::npos) host = "[" + host + "]";
        url = "http://" + host + ":" + std::to_string(engine.admin.port);
    }
    std::string token;
    if (const std::string file = value(o, "--token-file"); !file.empty()) {
        std::ifstream in(file);
        if (!in) throw AdminCallError("cannot read the token file " + file);
        std::getline(in, token);
    } else if (const char* env = std::getenv("FLOWGATE_ADMIN_TOKEN"); env && *env) {
        token = env;
    } else {
        const auto file = admin::tokenFile(engine.dataDir);
        std::ifstream in(file);
        if (!in)
            throw AdminCallError(
                "no admin token: pass --token-file, set FLOWGATE_ADMIN_TOKEN, "
                "or run where " +
                file.string() + " is readable");
        std::getline(in, token);
    }
    return AdminClient(url, trimmed(token));
}

// A query string of the options given, in the API's parameter names.
std::string queryOf(const Options& o, const std::vector<std::pair<std::string, std::string>>& map) {
    std::string query;
    for (const auto& [option, parameter] : map) {
        const std::string v = value(o, option);
        if (v.empty()) continue;
        query += (query.empty() ? "?" : "&") + parameter + "=" + urlEncode(v);
    }
    return query;
}

std::string text(const json& value) {
    if (value.is_null()) return "-";
    if (value.is_string()) return value.get<std::string>();
    return value.dump();
}

// Left-aligned columns, two spaces apart; the last column is not padded.
void printTable(std::ostream& out, const std::vector<std::string>& header,
                const std::vector<std::vector<std::string>>& rows) {
    std::vector<std::size_t> widths(header.size());
    for (std::size_t c = 0; c < header.size(); ++c) widths[c] = header[c].size();
    for (const auto& row : rows)
        for (std::size_t c = 0; c < row.size(); ++c) widths[c] = std::max(widths[c], row[c].size());
    auto line = [&](const std::vector<std::string>& cells) {
        std::string text;
        for (std::size_t c = 0; c < cells.size(); ++c) {
            text += cells[c];
            if (c + 1 < cells.size()) text += std::string(widths[c] - cells[c].size() + 2, ' ');
        }
        out << text << '\n';
    };
    line(header);
    for (const auto& row : rows) line(row);
}

void printMore(std::ostream& out, const json& page) {
    if (page.contains("nextCursor") && page["nextCursor"].is_string())
        out << "(more: --cursor " << page["nextCursor"].get<std::string>() << ")\n";
}

void printJson(std::ostream& out, const json& body) {
    out << body.dump(2, ' ', false, json::error_handler_t::replace) << '\n';
}

int executions(const Options& o, std::ostream& out) {
    const AdminClient client = clientFor(o);
    if (!o.words.empty() && o.words[0] == "show") {
        if (o.words.size() != 2) throw UsageError("executions show needs one request id");
        const auto reply = client.call("GET", "/api/v1/executions/" + urlEncode(o.words[1]));
        const json& e = reply.body;
        if (o.json) {
            printJson(out, e);
            return 0;
        }
        for (const char* key :
             {"requestId", "flow", "status", "receivedAt", "updatedAt", "deliveryId"})
            out << key << ": " << text(e.value(key, json())) << '\n';
        out << "attempts:\n";
        std::vector<std::vector<std::string>> rows;
        for (const auto& a : e.value("attempts", json::array()))
            rows.push_back({text(a["step"]), text(a["attempt"]), text(a["startedAt"]),
                            text(a["durationMs"]) + " ms", text(a["outcome"]), text(a["error"])});
        printTable(out, {"STEP", "ATTEMPT", "STARTED", "DURATION", "OUTCOME", "ERROR"}, rows);
        out << "message:\n";
        printJson(out, e.value("message", json()));
        return 0;
    }
    if (!o.words.empty()) throw UsageError("unknown executions command '" + o.words[0] + "'");
    const auto reply =
        client.call("GET", "/api/v1/executions" + queryOf(o, {{"--flow", "flow"},
                                                              {"--status", "status"},
                                                              {"--since", "since"},
                                                              {"--until", "until"},
                                                              {"--cursor", "cursor"},
                                                              {"--limit", "limit"}}));
    if (o.json) {
        printJson(out, reply.body);
        return 0;
    }
    std::vector<std::vector<std::string>> rows;
    for (const auto& e : reply.body.at("items"))
        rows.push_back({text(e["requestId"]), text(e["flow"]), text(e["status"]),
                        text(e["receivedAt"]), text(e["updatedAt"])});
    printTable(out, {"REQUEST ID", "FLOW", "STATUS", "RECEIVED", "UPDATED"}, rows);
    printMore(out, reply.body);
    return 0;
}

int deadLetters(const Options& o, std::ostream& out) {
    const std::string sub = o.words.empty() ? "list" : o.words[0];
    if (sub != "list" && sub != "replay" && sub != "delete")
        throw UsageError("unknown dead-letters command '" + sub + "' (list, replay, delete)");
    const AdminClient client = clientFor(o);
    if (sub == "list") {
        if (o.words.size() > 1) throw UsageError("dead-letters list takes no arguments");
        const auto reply =
            client.call("GET", "/api/v1/dead-letters" + queryOf(o, {{"--flow", "flow"},
                                                                    {"--since", "since"},
                                                                    {"--until", "until"},
                                                                    {"--cursor", "cursor"},
                                                                    {"--limit", "limit"}}));
        if (o.json) {
            printJson(out, reply.body);
            return 0;
        }
        std::vector<std::vector<std::string>> rows;
        for (const auto& d : reply.body.at("items"))
            rows.push_back({text(d["id"]), text(d["flow"]), text(d["step"]), text(d["attempts"]),
                            text(d["failedAt"]), text(d["requestId"]), text(d["error"])});
        printTable(out, {"ID", "FLOW", "STEP", "ATTEMPTS", "FAILED AT", "REQUEST ID", "ERROR"},
                   rows);
        printMore(out, reply.body);
        return 0;
    }
    if (sub == "replay") {
        if (o.words.size() == 2) {
            const auto reply =
                client.call("POST", "/api/v1/dead-letters/" + urlEncode(o.words[1]) + "/replay");
            if (o.json)
                printJson(out, reply.body);
            else
                out << "replayed dead letter " << o.words[1] << " (request "
                    << text(reply.body["requestId"]) << ")\n";
            return 0;
        }
        if (o.words.size() > 2) throw UsageError("dead-letters replay takes one id or filters");
        json filter = json::object();
        if (!value(o, "--flow").empty()) filter["flow"] = value(o, "--flow");
        if (!value(o, "--since").empty()) filter["since"] = value(o, "--since");
        if (!value(o, "--until").empty()) filter["until"] = value(o, "--until");
        if (filter.empty() && !o.all)
            throw UsageError(
                "dead-letters replay needs an id, a filter (--flow, --since, "
                "--until) or --all");
        const auto reply = client.call("POST", "/api/v1/dead-letters/replay", filter);
        if (o.json)
            printJson(out, reply.body);
        else
            out << "replayed " << text(reply.body["replayed"]) << " dead letter(s)\n";
        return 0;
    }
    if (sub == "delete") {
        if (o.words.size() != 2) throw UsageError("dead-letters delete needs one id");
        client.call("DELETE", "/api/v1/dead-letters/" + urlEncode(o.words[1]));
        if (!o.json) out << "deleted dead letter " << o.words[1] << '\n';
        return 0;
    }
    throw UsageError("unknown dead-letters command '" + sub + "' (list, replay, delete)");
}

int flows(const Options& o, std::ostream& out) {
    const std::string sub = o.words.empty() ? "list" : o.words[0];
    if (sub != "list" && sub != "pause" && sub != "resume")
        throw UsageError("unknown flows command '" + sub + "' (list, pause, resume)");
    const AdminClient client = clientFor(o);
    if (sub == "pause" || sub == "resume") {
        if (o.words.size() != 2) throw UsageError("flows " + sub + " needs one flow id");
        const auto reply =
            client.call("POST", "/api/v1/flows/" + urlEncode(o.words[1]) + "/" + sub);
        if (o.json)
            printJson(out, reply.body);
        else
            out << "flow " << o.words[1] << (sub == "pause" ? " paused" : " resumed") << '\n';
        return 0;
    }
    if (sub != "list")
        throw UsageError("unknown flows command '" + sub + "' (list, pause, resume)");
    const auto reply = client.call("GET", "/api/v1/flows");
    if (o.json) {
        printJson(out, reply.body);
        return 0;
    }
    std::vector<std::vector<std::string>> rows;
    for (const auto& f : reply.body.at("items")) {
        const json& c = f["counts"];
        rows.push_back({text(f["id"]), f["enabled"].get<bool>() ? "yes" : "no",
                        f["paused"].get<bool>() ? "yes" : "no", text(c["received"]),
                        text(c["succeeded"]), text(c["failed"]), text(c["dead"]),
                        text(c["running"]), text(c["waiting"]), text(f["queueDepth"]),
                        text(f["url"])});
    }
    printTable(out,
               {"FLOW", "ENABLED", "PAUSED", "RECEIVED", "SUCCEEDED", "FAILED", "DEAD", "RUNNING",
                "WAITING", "QUEUED", "URL"},
               rows);
    return 0;
}

}  // namespace

bool isAdminCommand(const std::string& command) {
    return command == "executions" || command == "dead-letters" || command == "flows";
}

int adminCommand(const std::string& command, const std::vector<std::string>& args,
                 std::ostream& out, std::ostream& err) {
    try {
        const Options options = parse(args);
        if (command == "executions") return executions(options, out);
        if (command == "dead-letters") return deadLetters(options, out);
        return flows(options, out);
    } catch (const UsageError& e) {
        err << "flowgate: " << e.what() << " (see 'flowgate help')\n";
        return 2;
    } catch (const AdminCallError& e) {
        err << "flowgate: " << e.what() << '\n';
        return 1;
    } catch (const json::exception& e) {
        err << "flowgate: the admin API answered unexpected JSON: " << e.what() << '\n';
        return 1;
    }
}

}  // namespace flowgate::cli
