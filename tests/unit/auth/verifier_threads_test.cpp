// A verifier is shared by every request thread of the server: one instance, many threads.
#include <atomic>
#include <thread>

#include "unit/auth/auth_test_support.hpp"

using namespace flowgate;
using namespace flowgate::test;

TEST_CASE("one verifier decides correctly from several threads at once", "[auth]") {
    const auto v = signatureVector("Stripe");
    auto verifier = verifierFor(
        {{"type", "hmac"}, {"preset", "stripe"}, {"secrets", {"whsec_other", v.at("secret")}}});
    Request good;
    good.body = v.at("body");
    good.headers["stripe-signature"] = v.at("expected_header");
    Request bad = good;
    bad.body += " ";
    const auto now = unixTime(v.at("timestamp").get<std::string>());

    std::atomic<int> wrong{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&] {
            for (int i = 0; i < 500; ++i) {
                if (!verifier->verify(good.view(), now).accepted) ++wrong;
                if (verifier->verify(bad.view(), now).accepted) ++wrong;
            }
        });
    for (auto& thread : threads) thread.join();
    CHECK(wrong == 0);
}
