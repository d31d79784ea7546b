// The micro-benchmarks' shared options: [--rounds R] [--iterations N].
#pragma once

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace flowgate::bench {

struct Rounds {
    int rounds;
    int iterations;  // calls per round
};

// Reads the options over `defaults`; false (after saying why) for an unknown one.
inline bool readRounds(int argc, char** argv, Rounds& defaults) {
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string key = argv[i];
        if (key == "--rounds") {
            defaults.rounds = std::max(1, std::atoi(argv[i + 1]));
        } else if (key == "--iterations") {
            defaults.iterations = std::max(1, std::atoi(argv[i + 1]));
        } else {
            std::fprintf(stderr, "unknown option %s\n", key.c_str());
            return false;
        }
    }
    return true;
}

}  // namespace flowgate::bench
