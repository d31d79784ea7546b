// A key sent as is, in a header or (optionally) a query parameter.
#include <stdexcept>

#include "flowgate/common/secret_bytes.hpp"
#include "auth/form_encoding.hpp"
#include "auth/verifiers.hpp"

namespace flowgate::auth {

using common::constantTimeEqual;

namespace {

class ApiKeyVerifier final : public Verifier {
public:
    explicit ApiKeyVerifier(ApiKeySettings settings)
        : header_(toLowerAscii(settings.header)),
          queryParameter_(std::move(settings.queryParameter)) {
        if (settings.keys.empty()) throw std::invalid_argument("an API key credential needs a key");
        // Digests only: equal lengths for the comparison, no plaintext key kept here.
        for (auto& key : settings.keys) {
            auto digest = sha256(key);
            wipe(key);
            if (!digest) throw std::runtime_error("OpenSSL could not compute SHA-256");
            keyDigests_.push_back(std::move(*digest));
        }
        where_ = "header '" + header_ + "'";
        if (!queryParameter_.empty()) where_ += " or query parameter '" + queryParameter_ + "'";
    }

    Verdict verify(const WebhookRequest& request,
                   std::chrono::system_clock::time_point) const override {
        std::string presented;
        if (auto header = findHeader(request, header_)) {
            presented = *header;
        } else if (!queryParameter_.empty()) {
            auto params = decodeFormEncoded(queryOf(request.url));
            if (!params) return invalid("malformed query string");
            for (auto& [name, value] : *params) {
                if (name == queryParameter_) {
                    presented = std::move(value);
                    break;
                }
            }
        }
        if (presented.empty()) return missing("missing API key (" + where_ + ")");

        auto digest = sha256(presented);
        wipe(presented);
        if (!digest)
            return Verdict::reject(Verdict::Failure::internalError, "the key could not be checked");
        bool matched = false;
        for (const auto& key : keyDigests_) matched = matched | constantTimeEqual(*digest, key);
        return matched ? Verdict::accept() : invalid("invalid API key");
    }

    SecretFields secretFields() const override {
        SecretFields fields{{header_}, {}};
        if (!queryParameter_.empty()) fields.queryParameters.push_back(queryParameter_);
        return fields;
    }

private:
    std::string header_;
    std::string queryParameter_;
    std::string where_;
    std::vector<std::string> keyDigests_;
};

}  // namespace

std::unique_ptr<const Verifier> makeApiKeyVerifier(ApiKeySettings settings) {
    return std::make_unique<ApiKeyVerifier>(std::move(settings));
}

}  // namespace flowgate::auth
