#include "shared/cli.hpp"

#include <asio/ip/address.hpp>

#include <iostream>

namespace mailsteps {

namespace {

constexpr int exit_bad_usage = 2;
constexpr int exit_startup_failure = 1;

} // namespace

const CLI::Validator ip_address(
    [](std::string& text) {
        asio::error_code error;
        asio::ip::make_address(text, error);
        return error ? "'" + text + "' is not an IPv4 or IPv6 address" : std::string();
    },
    "ADDRESS");

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
