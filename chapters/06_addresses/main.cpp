// Chapter 06: an SMTP server that reads addresses as RFC 5321 writes them and takes mail for its domains.
#include "server.hpp"
#include "smtp_session.hpp"

#include "shared/cli.hpp"

int main(int argc, char** argv) {
    CLI::App app{"mailsteps chapter 06: an SMTP server taking mail for its domains (logged, not stored)"};
    mailsteps::ServerOptions server_options;
    smtp::Options smtp;
    mailsteps::add_server_options(app, server_options);
    app.add_option("--smtp-port", smtp.port, "SMTP port (0: the OS picks)")->capture_default_str();
    app.add_option("--hostname", smtp.hostname, "This server's name, for the greeting and the EHLO reply")
        ->capture_default_str();
    app.add_option("--domain", smtp.domains, "A domain whose mail this server takes (repeatable)")
        ->capture_default_str();
    app.add_option("--max-recipients", smtp.max_recipients, "Most recipients of one message")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    mailsteps::add_duration_option(app, "--command-timeout", smtp.command_timeout, "Close a client silent this long");

    return mailsteps::run_program(app, argc, argv, [&] {
        mailsteps::Server server(server_options);
        server.listen("smtp", smtp.port, "421 4.3.2 " + smtp.hostname + " Too many connections, try again later\r\n",
                      [&](mailsteps::LineStream& client) { return smtp::smtp_session(client, smtp); });
        return server.run();
    });
}
