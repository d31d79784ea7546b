#include <atomic>
#include <thread>

#include <catch2/catch.hpp>

#include "queue/disk_alarm.hpp"
#include "support/temp_dir.hpp"

using namespace flowgate;
using namespace std::chrono_literals;

TEST_CASE("the disk alarm is raised below the watermark and says why", "[queue][disk]") {
    test::TempDir dir;
    std::atomic<int> changes{0};
    queue::DiskAlarm alarm(dir.path(), std::uint64_t{1} << 62, 10ms,
                           [&](bool raised, const std::string& text) {
                               CHECK(raised);
                               CHECK(text.find("below the") != std::string::npos);
                               ++changes;
                           });
    CHECK(alarm.raised());
    CHECK(alarm.reason().find(dir.path().string()) != std::string::npos);
    CHECK(alarm.reason().find("disk.minFreeBytes") != std::string::npos);
    std::this_thread::sleep_for(50ms);
    CHECK(changes == 1);  // reported once, not at every check
}

TEST_CASE("the disk alarm stays down with space to spare, and a missing directory raises it",
          "[queue][disk]") {
    test::TempDir dir;
    queue::DiskAlarm fine(dir.path(), 1, 10ms, nullptr);
    CHECK_FALSE(fine.raised());
    CHECK(fine.reason().empty());
    queue::DiskAlarm missing(dir.path() / "nowhere", 1, 10ms, nullptr);
    CHECK(missing.raised());
    CHECK(missing.reason().find("cannot read") != std::string::npos);
}
