#include "support/postgres_server.hpp"

#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

#include "support/engine_process.hpp"

namespace fs = std::filesystem;

namespace flowgate::test {

namespace {

const fs::path kBin = "/usr/lib/postgresql/15/bin";
// The bootstrap superuser and its password: a throwaway server on loopback only.
constexpr const char* kUser = "flowgate";
constexpr const char* kPassword = "flowgate-test-password";
// Bump when the template's initdb options change, so an old template is not reused.
constexpr const char* kTemplateName = "flowgate-pg15-template-v1";

bool asRoot() { return geteuid() == 0; }

// The server's user: postgres when we are root (PostgreSQL refuses root), else us.
struct ServerUser {
    uid_t uid;
    gid_t gid;
};
ServerUser serverUser() {
    if (!asRoot()) return {geteuid(), getegid()};
    const passwd* pw = getpwnam("postgres");
    if (!pw) throw std::runtime_error("PostgreSQL tests run as root need the postgres user");
    return {pw->pw_uid, pw->pw_gid};
}

// Runs `args` (as the server's user when root) with output appended to `logFile`; returns
// the exit status (or 128 + signal).
int run(std::vector<std::string> args, const fs::path& logFile) {
    if (asRoot()) args.insert(args.begin(), {"runuser", "-u", "postgres", "--"});
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    const pid_t pid = fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
        const int fd = open(logFile.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        const int devnull = open("/dev/null", O_RDONLY);
        if (devnull >= 0) dup2(devnull, 0);
        execvp(argv[0], argv.data());
        _exit(127);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void chownTree(const fs::path& root, const ServerUser& user) {
    if (!asRoot()) return;
    if (chown(root.c_str(), user.uid, user.gid) != 0)
        throw std::runtime_error("cannot chown " + root.string());
    for (const auto& entry : fs::recursive_directory_iterator(root))
        if (lchown(entry.path().c_str(), user.uid, user.gid) != 0)
            throw std::runtime_error("cannot chown " + entry.path().string());
}

std::string readAll(const fs::path& file) {
    std::ifstream in(file);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

// The initdb'd template, made once per machine (per template name) under a lock.
fs::path templateDir() {
    const fs::path base = fs::temp_directory_path();
    const fs::path dir = base / kTemplateName;
    if (fs::exists(dir / "PG_VERSION")) return dir;
    const fs::path lockPath = base / (std::string(kTemplateName) + ".lock");
    const int lock = open(lockPath.c_str(), O_RDWR | O_CREAT, 0600);
    if (lock < 0 || flock(lock, LOCK_EX) != 0) throw std::runtime_error("cannot lock " + lockPath.string());
    struct Unlock {
        int fd;
        ~Unlock() { close(fd); }
    } unlock{lock};
    if (fs::exists(dir / "PG_VERSION")) return dir;  // another process made it meanwhile

    const ServerUser user = serverUser();
    const fs::path work = base / (std::string(kTemplateName) + ".work");
    fs::remove_all(work);
    fs::create_directories(work);
    chownTree(work, user);
    {
        std::ofstream pw(work / "pw");
        pw << kPassword << "\n";
    }
    chownTree(work, user);
    const fs::path log = work / "initdb.log";
    // Passwords over TCP (the URL carries one, as a deployment's would); no fsync while
    // initializing a throwaway copy.
    const int status = run({(kBin / "initdb").string(), "-D", (work / "data").string(), "-U",
                            kUser, "--auth-local=trust", "--auth-host=scram-sha-256",
                            "--pwfile=" + (work / "pw").string(), "--no-sync", "-E", "UTF8",
                            "--locale=C.UTF-8"},
                           log);
    if (status != 0) throw std::runtime_error("initdb failed (" + std::to_string(status) + "):\n" + readAll(log));
    fs::rename(work / "data", dir);
    fs::remove_all(work);
    return dir;
}

// A zombie not reaped yet still answers kill(pid, 0): dead is "no such process" or
// state Z.
bool alive(pid_t pid) {
    if (pid <= 0 || kill(pid, 0) != 0) return false;
    const std::string stat = readAll("/proc/" + std::to_string(pid) + "/stat");
    const auto paren = stat.rfind(')');
    return paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] != 'Z';
}

// Waits for `pid` if it is our child (it is, once orphaned, as we are a subreaper):
// PostgreSQL takes a zombie postmaster for a live one and refuses to start on its data.
void reap(pid_t pid) {
    while (waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
}

}  // namespace

PostgresServer::PostgresServer() {
    // pg_ctl detaches the postmaster; as a subreaper this process inherits it (and its
    // children once it dies), so that it can reap them. No init to rely on in a container.
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    const fs::path source = templateDir();
    std::string pattern = (fs::temp_directory_path() / "flowgate-pg-XXXXXX").string();
    if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    dir_ = pattern;
    fs::copy(source, dir_ / "data", fs::copy_options::recursive);
    fs::permissions(dir_ / "data", fs::perms::owner_all, fs::perm_options::replace);
    chownTree(dir_, serverUser());
    start();
}

PostgresServer::~PostgresServer() {
    try {
        if (running()) {
            const int status = run({(kBin / "pg_ctl").string(), "-D", (dir_ / "data").string(),
                                    "-m", "immediate", "-w", "stop"},
                                   dir_ / "pg_ctl.log");
            if (status == 0) {
                reap(postmaster_);
                postmaster_ = -1;
            } else {
                kill9();
            }
        }
    } catch (...) {
    }
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
}

PostgresServer& PostgresServer::shared() {
    static PostgresServer server;
    return server;
}

std::string PostgresServer::url(const std::string& database) const {
    return std::string("postgresql://") + kUser + ":" + kPassword + "@127.0.0.1:" +
           std::to_string(port_) + "/" + database;
}

std::string PostgresServer::createSchema() {
    const std::string name = "test_" + std::to_string(++schemas_);
    // psql over the server's unix socket (trusted for its own user): the test binary
    // needs no client library of its own. A schema, not a database: CREATE DATABASE
    // copies and syncs a whole template (0.7 s here), CREATE SCHEMA takes milliseconds.
    const int status = run({(kBin / "psql").string(), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h",
                            dir_.string(), "-p", std::to_string(port_), "-U", kUser, "-d",
                            "postgres", "-c", "CREATE SCHEMA " + name},
                           dir_ / "psql.log");
    if (status != 0)
        throw std::runtime_error("CREATE SCHEMA failed:\n" + readAll(dir_ / "psql.log"));
    return url() + "?options=-csearch_path%3D" + name;
}

void PostgresServer::start() {
    if (running()) return;
    const fs::path data = dir_ / "data";
    // A port taken between freePort() and the server's bind: try another (first start
    // only; a restart keeps its port so that clients' URLs stay valid).
    const int tries = port_ == 0 ? 3 : 1;
    for (int attempt = 0; attempt < tries; ++attempt) {
        const int port = port_ != 0 ? port_ : freePort();
        const int status =
            run({(kBin / "pg_ctl").string(), "-D", data.string(), "-l",
                 (dir_ / "server.log").string(), "-t", "30", "-w", "-o",
                 "-p " + std::to_string(port) + " -k " + dir_.string() +
                     " -c listen_addresses=127.0.0.1",
                 "start"},
                dir_ / "pg_ctl.log");
        if (status == 0) {
            port_ = port;
            std::ifstream pidFile(data / "postmaster.pid");
            pidFile >> postmaster_;
            if (!alive(postmaster_)) throw std::runtime_error("postmaster.pid names no process");
            return;
        }
    }
    throw std::runtime_error("PostgreSQL did not start:\n" + readAll(dir_ / "pg_ctl.log") +
                             log());
}

void PostgresServer::stop() {
    if (!running()) return;
    const int status = run({(kBin / "pg_ctl").string(), "-D", (dir_ / "data").string(), "-m",
                            "fast", "-w", "-t", "30", "stop"},
                           dir_ / "pg_ctl.log");
    if (status != 0) throw std::runtime_error("pg_ctl stop failed:\n" + readAll(dir_ / "pg_ctl.log"));
    reap(postmaster_);
    postmaster_ = -1;
}

void PostgresServer::kill9() {
    if (postmaster_ <= 0) return;
    // The backends first would let the postmaster notice and clean up; a crash does not.
    const std::vector<pid_t> children = childrenOf(postmaster_);
    ::kill(postmaster_, SIGKILL);
    for (const pid_t child : children) ::kill(child, SIGKILL);
    reap(postmaster_);
    // Its children are ours now (subreaper): kill and reap every server process among
    // them, including any forked just before the kill.
    const bool gone = eventually(
        [&] {
            bool any = false;
            for (const pid_t child : childrenOf(getpid())) {
                if (readAll("/proc/" + std::to_string(child) + "/comm") != "postgres\n") continue;
                any = true;
                ::kill(child, SIGKILL);
                reap(child);
            }
            return !any;
        },
        std::chrono::seconds(10));
    if (!gone) throw std::runtime_error("PostgreSQL processes survived SIGKILL");
    postmaster_ = -1;
}

std::string PostgresServer::log() const { return readAll(dir_ / "server.log"); }

}  // namespace flowgate::test
