// Chapter 01: an echo server. Every byte a client sends comes straight back.
#include "echo_session.hpp"
#include "server.hpp"

#include "shared/cli.hpp"

int main(int argc, char** argv) {
    CLI::App app{"mailsteps chapter 01: an echo server"};
    mailsteps::ServerOptions server_options;
    EchoOptions echo;
    mailsteps::add_server_options(app, server_options);
    app.add_option("--port", echo.port, "TCP port (0: the OS picks)")->capture_default_str();

    return mailsteps::run_program(app, argc, argv, [&] {
        mailsteps::Server server(server_options);
        server.listen("echo", echo.port, echo_session);
        return server.run();
    });
}
