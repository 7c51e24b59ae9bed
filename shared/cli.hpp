#pragma once

#include "shared/duration.hpp"
#include "shared/server.hpp"

#include <CLI/CLI.hpp>

#include <functional>
#include <string>

namespace mailsteps {

// The options every server shares: --listen, --threads, --max-connections,
// --max-connections-per-address, --shutdown-grace, --config, -v/--verbose and --trace, so that
// every program's --help looks alike.
void add_server_options(CLI::App& app, ServerOptions& options);

// A duration option: "500ms", "30s", "5m", "2h", "5d", or a bare number of seconds.
CLI::Option* add_duration_option(CLI::App& app, const std::string& name, Duration& value,
                                 const std::string& description);

// Parses the command line, then runs `program`. Bad command-line input prints a clear message
// and gives exit code 2; a start-up failure (say, a port in use) prints it and gives 1.
int run_program(CLI::App& app, int argc, char** argv, const std::function<int()>& program);

} // namespace mailsteps
