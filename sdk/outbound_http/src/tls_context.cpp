#include "flowgate/outbound_http/tls_context.hpp"

#include <map>
#include <mutex>
#include <utility>

#include <Poco/Exception.h>

#include "flowgate/outbound_http/outbound_http.hpp"

namespace flowgate::net {

using Poco::Net::Context;

namespace {

Context::Ptr makeContext(bool verify, const std::string& caFile) {
    Context::Params params;
    params.caLocation = caFile;
    params.loadDefaultCAs = true;  // caFile adds trust anchors, it does not replace the store
    params.verificationMode = verify ? Context::VERIFY_STRICT : Context::VERIFY_NONE;
    params.verificationDepth = 9;
    Context::Ptr context = new Context(Context::TLS_CLIENT_USE, params);
    context->requireMinimumProtocol(Context::PROTO_TLSV1_2);
    return context;
}

}  // namespace

Context::Ptr clientContext(bool verify, const std::string& caFile) {
    static std::mutex mutex;
    static std::map<std::pair<bool, std::string>, Context::Ptr> contexts;
    std::lock_guard lock(mutex);
    auto& context = contexts[{verify, caFile}];
    if (!context) {
        try {
            context = makeContext(verify, caFile);
        } catch (const Poco::Exception& e) {
            contexts.erase({verify, caFile});
            throw OutboundError(OutboundError::Kind::tls, "cannot set up TLS with caFile '" +
                                                              caFile + "': " + e.displayText());
        }
    }
    return context;
}

}  // namespace flowgate::net
