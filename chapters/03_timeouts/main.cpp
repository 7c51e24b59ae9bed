// Chapter 03: the echo server with timeouts and limits, so no client can hold it for ever.
#include "echo_session.hpp"
#include "server.hpp"

#include "shared/cli.hpp"

int main(int argc, char** argv) {
    CLI::App app{"mailsteps chapter 03: a line echo server with timeouts and limits"};
    mailsteps::ServerOptions server_options;
    EchoOptions echo;
    mailsteps::add_server_options(app, server_options);
    app.add_option("--port", echo.port, "TCP port (0: the OS picks)")->capture_default_str();
    app.add_option("--max-line", echo.max_line, "Longest line in octets, CRLF included")
        ->check(CLI::Range(std::size_t{3}, std::size_t{1} << 20))
        ->capture_default_str();
    mailsteps::add_duration_option(app, "--idle-timeout", echo.idle_timeout, "Close a client silent this long");

    return mailsteps::run_program(app, argc, argv, [&] {
        mailsteps::Server server(server_options);
        server.listen("echo", echo.port, "error: too many connections\r\n",
                      [&](mailsteps::LineStream& client) { return echo_session(client, echo); });
        return server.run();
    });
}
