// Where the admin token comes from, and when the engine must refuse to start without one.
#include <sys/stat.h>

#include <cstdlib>

#include <catch2/catch.hpp>

#include "admin/admin_token.hpp"
#include "support/temp_dir.hpp"

using flowgate::admin::adminToken;
using flowgate::admin::AdminTokenError;
using flowgate::admin::isLoopbackHost;
using flowgate::test::TempDir;

namespace {

flowgate::config::EngineConfig engineIn(const TempDir& dir) {
    flowgate::config::EngineConfig engine;
    engine.configDir = dir.path();
    engine.dataDir = dir.path();
    return engine;
}

}  // namespace

TEST_CASE("admin token: generated once on loopback, 0600, and reused", "[admin]") {
    TempDir dir;
    const auto engine = engineIn(dir);
    const std::string first = adminToken(engine);
    CHECK(first.size() == 64);
    struct stat st {};
    REQUIRE(::stat((dir.path() / "admin-token").c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    CHECK(adminToken(engine) == first);
}

TEST_CASE("admin token: from a secret reference, none on a public address refuses", "[admin]") {
    TempDir dir;
    auto engine = engineIn(dir);
    ::setenv("FLOWGATE_TEST_ADMIN_TOKEN", "s3cret", 1);
    engine.admin.token = {{"env", "FLOWGATE_TEST_ADMIN_TOKEN"}};
    engine.admin.host = "0.0.0.0";
    CHECK(adminToken(engine) == "s3cret");
    CHECK_FALSE(std::filesystem::exists(dir.path() / "admin-token"));

    engine.admin.token = {{"env", "FLOWGATE_TEST_UNSET_TOKEN"}};
    CHECK_THROWS_AS(adminToken(engine), AdminTokenError);
    engine.admin.token = nullptr;
    CHECK_THROWS_WITH(adminToken(engine), Catch::Contains("not a loopback address"));

    CHECK(isLoopbackHost("127.0.0.1"));
    CHECK(isLoopbackHost("127.1.2.3"));
    CHECK(isLoopbackHost("::1"));
    CHECK(isLoopbackHost("localhost"));
    CHECK_FALSE(isLoopbackHost("0.0.0.0"));
    CHECK_FALSE(isLoopbackHost("10.0.0.1"));
}
