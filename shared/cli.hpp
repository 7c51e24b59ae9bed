#pragma once

#include "shared/duration.hpp"

#include <CLI/CLI.hpp>

#include <functional>
#include <string>

namespace mailsteps {

// CLI11 checks for options: an IPv4 or IPv6 literal (--listen).
extern const CLI::Validator ip_address;

// A duration option: "500ms", "30s", "5m", "2h", "5d", or a bare number of seconds.
CLI::Option* add_duration_option(CLI::App& app, const std::string& name, Duration& value,
                                 const std::string& description);

// Parses the command line, then runs `program`. Bad command-line input prints a clear message
// and gives exit code 2; a start-up failure (say, a port in use) prints it and gives 1.
int run_program(CLI::App& app, int argc, char** argv, const std::function<int()>& program);

} // namespace mailsteps
