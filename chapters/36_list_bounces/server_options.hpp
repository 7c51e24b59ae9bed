#pragma once

#include "shared/duration.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstddef>
#include <string>
#include <thread>

namespace mailsteps {

struct ServerOptions {
    std::string listen = "127.0.0.1";
    unsigned threads = std::max(1U, std::thread::hardware_concurrency());
    unsigned disk_threads = 16; // fsyncs in flight at once; each mostly waits for the disk
    std::size_t max_connections = 1000;
    std::size_t max_connections_per_address = 50; // one client address, on every listener together
    Duration shutdown_grace = std::chrono::seconds(10);
    bool verbose = false;
    bool trace = false;
};

// The options every server shares, so that every program's --help looks alike.
void add_server_options(CLI::App& app, ServerOptions& options);

} // namespace mailsteps
