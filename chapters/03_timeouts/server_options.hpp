#pragma once

#include "shared/duration.hpp"

#include <CLI/CLI.hpp>

#include <cstddef>
#include <string>

namespace mailsteps {

struct ServerOptions {
    std::string listen = "127.0.0.1";
    std::size_t max_connections = 1000;
    std::size_t max_connections_per_address = 50; // one client address, on every listener together
    bool verbose = false;
};

// The options every server shares, so that every program's --help looks alike.
void add_server_options(CLI::App& app, ServerOptions& options);

} // namespace mailsteps
