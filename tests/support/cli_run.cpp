#include "support/cli_run.hpp"

#include <sys/wait.h>

#include <cstdio>
#include <stdexcept>

namespace flowgate::test {

CliRun runFlowgate(const std::string& args, const std::filesystem::path& binary) {
    const std::string command = "'" + binary.string() + "' " + args + " 2>&1";
    FILE* pipe = popen(command.c_str(), "r");
    if (!pipe) throw std::runtime_error("cannot run " + command);
    std::string output;
    char buf[4096];
    while (std::size_t n = fread(buf, 1, sizeof buf, pipe)) output.append(buf, n);
    const int status = pclose(pipe);
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

}  // namespace flowgate::test
