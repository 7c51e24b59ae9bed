#pragma once

#include <CLI/CLI.hpp>

#include <string>

namespace mailsteps {

struct ServerOptions {
    std::string listen = "127.0.0.1";
    bool verbose = false;
};

// The options every server shares, so that every program's --help looks alike.
void add_server_options(CLI::App& app, ServerOptions& options);

} // namespace mailsteps
