#include "server_options.hpp"

#include "shared/cli.hpp"

namespace mailsteps {

void add_server_options(CLI::App& app, ServerOptions& options) {
    app.set_config("--config", "", "Read options from this file (TOML or INI; any long option)");
    app.add_option("--listen", options.listen, "Address to listen on (IPv4 or IPv6 literal)")
        ->check(ip_address)
        ->capture_default_str();
    app.add_flag("-v,--verbose", options.verbose, "Log more detail");
}

} // namespace mailsteps
