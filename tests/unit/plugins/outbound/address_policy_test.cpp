// The outbound client's address classifier and allow list.
#include <catch2/catch.hpp>

#include "flowgate/common/internal_address.hpp"
#include "flowgate/outbound_http/address_policy.hpp"
#include "flowgate/outbound_http/outbound_http.hpp"

using flowgate::net::AddressPolicy;
using flowgate::common::AddressRange;
using flowgate::common::isInternalAddress;
using flowgate::net::OutboundPolicy;
using flowgate::net::policyFromEngineSettings;
using Poco::Net::IPAddress;

namespace {

bool internal(const std::string& text) {
    return isInternalAddress(IPAddress(text));
}

}  // namespace

TEST_CASE("every internal IPv4 range is internal, at both of its ends", "[outbound]") {
    const std::vector<std::pair<std::string, std::string>> ranges = {
        {"0.0.0.0", "0.255.255.255"},       {"10.0.0.0", "10.255.255.255"},
        {"100.64.0.0", "100.127.255.255"},  {"127.0.0.0", "127.255.255.255"},
        {"169.254.0.0", "169.254.255.255"}, {"172.16.0.0", "172.31.255.255"},
        {"192.0.0.0", "192.0.0.255"},       {"192.168.0.0", "192.168.255.255"},
        {"198.18.0.0", "198.19.255.255"},   {"224.0.0.0", "239.255.255.255"},
        {"240.0.0.0", "255.255.255.255"}};
    for (const auto& [first, last] : ranges) {
        INFO(first << " - " << last);
        CHECK(internal(first));
        CHECK(internal(last));
    }
}

TEST_CASE("the public IPv4 neighbours of internal ranges are public", "[outbound]") {
    for (const char* text :
         {"1.1.1.1", "8.8.8.8", "9.255.255.255", "11.0.0.0", "100.63.255.255", "100.128.0.0",
          "126.255.255.255", "128.0.0.0", "169.253.255.255", "169.255.0.0", "172.15.255.255",
          "172.32.0.0", "192.0.1.0", "192.167.255.255", "192.169.0.0", "198.17.255.255",
          "198.20.0.0", "223.255.255.255", "93.184.216.34"}) {
        INFO(text);
        CHECK_FALSE(internal(text));
    }
}

TEST_CASE("internal IPv6 ranges and IPv6 forms of internal IPv4 addresses", "[outbound]") {
    for (const char* text : {"::",
                             "::1",
                             "fe80::1",
                             "febf:ffff::1",
                             "fec0::1",
                             "fc00::1",
                             "fdff:ffff::1",
                             "ff02::1",
                             "ff0e::1",
                             "::ffff:127.0.0.1",
                             "::ffff:10.1.2.3",
                             "::ffff:169.254.169.254",
                             "::ffff:0.0.0.0",
                             "::127.0.0.1",
                             "::10.0.0.1",
                             "64:ff9b::127.0.0.1",
                             "64:ff9b::a9fe:a9fe",
                             "64:ff9b:1::1",
                             "2002:7f00:0001::1",
                             "2002:c0a8:0101::1",
                             "100::1",
                             "2001:db8::1"}) {
        INFO(text);
        CHECK(internal(text));
    }
}

TEST_CASE("public IPv6 addresses and IPv6 forms of public IPv4 addresses are public",
          "[outbound]") {
    for (const char* text :
         {"2606:4700:4700::1111", "2a00:1450:4001:80b::200e", "::ffff:8.8.8.8", "64:ff9b::808:808",
          "2002:0808:0808::1", "fe00::1", "fbff::1", "2001:db9::1"}) {
        INFO(text);
        CHECK_FALSE(internal(text));
    }
}

TEST_CASE("address ranges parse CIDRs and hold mapped forms of IPv4", "[outbound]") {
    auto range = AddressRange::parse("127.0.0.1/32");
    REQUIRE(range);
    CHECK(range->contains(IPAddress("127.0.0.1")));
    CHECK(range->contains(IPAddress("::ffff:127.0.0.1")));
    CHECK_FALSE(range->contains(IPAddress("127.0.0.2")));
    CHECK_FALSE(range->contains(IPAddress("::1")));

    auto net10 = AddressRange::parse("10.0.0.0/8");
    REQUIRE(net10);
    CHECK(net10->contains(IPAddress("10.200.3.4")));
    CHECK_FALSE(net10->contains(IPAddress("11.0.0.0")));

    auto v6 = AddressRange::parse("fd00::/8");
    REQUIRE(v6);
    CHECK(v6->contains(IPAddress("fd12::1")));
    CHECK_FALSE(v6->contains(IPAddress("fc00::1")));

    for (const char* bad :
         {"", "intranet", "10.0.0.0/", "10.0.0.0/33", "::/129", "10.0.0.0/8x", "10.0.0.0/-1"}) {
        INFO(bad);
        CHECK_FALSE(AddressRange::parse(bad));
    }
}

TEST_CASE("the policy allows public addresses, internal ones only when told", "[outbound]") {
    OutboundPolicy policy;
    CHECK(AddressPolicy(policy).allows(IPAddress("8.8.8.8")));
    CHECK_FALSE(AddressPolicy(policy).allows(IPAddress("127.0.0.1")));

    policy.allowAddresses = {"127.0.0.1/32", "fd00::/8"};
    AddressPolicy listed(policy);
    CHECK(listed.allows(IPAddress("127.0.0.1")));
    CHECK(listed.allows(IPAddress("fd00::5")));
    CHECK_FALSE(listed.allows(IPAddress("127.0.0.2")));
    CHECK_FALSE(listed.allows(IPAddress("10.0.0.1")));

    policy.allowAddresses.clear();
    policy.allowPrivateAddresses = true;
    CHECK(AddressPolicy(policy).allows(IPAddress("169.254.169.254")));

    policy.allowAddresses = {"not-a-range"};
    CHECK_THROWS_WITH(AddressPolicy(policy), Catch::Contains("'not-a-range'"));
}

TEST_CASE("the policy comes from the engine's network settings", "[outbound]") {
    auto defaults = policyFromEngineSettings(nlohmann::json::object());
    CHECK_FALSE(defaults.allowPrivateAddresses);
    CHECK(defaults.allowAddresses.empty());
    CHECK(defaults.verifyTls);
    CHECK(defaults.maxRedirects == 5);

    auto policy = policyFromEngineSettings(
        {{"network", {{"allowPrivateAddresses", true}, {"allowAddresses", {"10.0.0.0/8"}}}},
         {"publicBaseUrl", "http://x"}});
    CHECK(policy.allowPrivateAddresses);
    CHECK(policy.allowAddresses == std::vector<std::string>{"10.0.0.0/8"});

    CHECK_THROWS_AS(policyFromEngineSettings({{"network", {{"allowAddresses", {"10.0.0.0/99"}}}}}),
                    std::invalid_argument);
}
