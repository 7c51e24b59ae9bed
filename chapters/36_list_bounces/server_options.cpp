#include "server_options.hpp"

#include "shared/cli.hpp"

namespace mailsteps {

void add_server_options(CLI::App& app, ServerOptions& options) {
    app.set_config("--config", "", "Read options from this file (TOML or INI; any long option)");
    app.add_option("--listen", options.listen, "Address to listen on (IPv4 or IPv6 literal)")
        ->check(ip_address)
        ->capture_default_str();
    app.add_option("--threads", options.threads, "Threads running the server")
        ->check(CLI::Range(1U, 1024U))
        ->capture_default_str();
    app.add_option("--disk-threads", options.disk_threads, "Threads for file work that waits on the disk (fsync)")
        ->check(CLI::Range(1U, 1024U))
        ->capture_default_str();
    app.add_option("--max-connections", options.max_connections, "Simultaneous connections before refusing")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    app.add_option("--max-connections-per-address", options.max_connections_per_address,
                   "Simultaneous connections from one client address before refusing it (all ports together)")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    add_duration_option(app, "--shutdown-grace", options.shutdown_grace,
                        "On SIGINT/SIGTERM, how long sessions may take to finish");
    app.add_flag("-v,--verbose", options.verbose, "Log more detail");
    app.add_flag("--trace", options.trace, "Print every protocol line: C: received, S: sent");
}

} // namespace mailsteps
