// The http component's steps: one outbound request per message, the answer as output.
#pragma once

#include <memory>

#include "flowgate/step.hpp"
#include "request_config.hpp"

namespace flowgate::plugins::http {

// With `authorized`, every run adds the header of the step's http-auth credential.
std::unique_ptr<Step> makeRequestStep(std::shared_ptr<const RequestConfig> config, bool authorized);

}  // namespace flowgate::plugins::http
