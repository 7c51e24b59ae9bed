#include "shared/cli.hpp"

#include <asio/ip/address.hpp>

#include <iostream>

namespace mailsteps {

namespace {

constexpr int exit_bad_usage = 2;
constexpr int exit_startup_failure = 1;

const CLI::Validator ip_address(
    [](std::string& text) {
        asio::error_code error;
        asio::ip::make_address(text, error);
        return error ? "'" + text + "' is not an IPv4 or IPv6 address" : std::string();
    },
    "ADDRESS");

} // namespace

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

CLI::Option* add_duration_option(CLI::App& app, const std::string& name, Duration& value,
                                 const std::string& description) {
    auto store = [&value, name](const std::string& text) {
        auto duration = parse_duration(text);
        if (!duration) {
            throw CLI::ValidationError(name, "'" + text + "' is not a duration (like 500ms, 30s, 5m, 2h, 5d)");
        }
        value = *duration;
    };
    return app.add_option_function<std::string>(name, store, description)
        ->type_name("DURATION")
        ->default_str(format_duration(value));
}

int run_program(CLI::App& app, int argc, char** argv, const std::function<int()>& program) {
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& error) {
        int status = app.exit(error); // prints --help, or the error and a hint
        return status == 0 ? 0 : exit_bad_usage;
    }
    try {
        return program();
    } catch (const std::exception& error) {
        std::cerr << app.get_name() << ": " << error.what() << '\n';
        return exit_startup_failure;
    }
}

} // namespace mailsteps
