// A problem in a configuration file, said the way users fix it: which file, where in
// the document (a JSON pointer), and why.
#pragma once

#include <string>
#include <vector>

namespace flowgate::config {

struct ConfigError {
    std::string file;
    std::string pointer;  // "" means the whole document
    std::string reason;

    std::string toString() const {
        return file + ": " + (pointer.empty() ? std::string("(document)") : pointer) + ": " +
               reason;
    }
};

using ConfigErrors = std::vector<ConfigError>;

}  // namespace flowgate::config
