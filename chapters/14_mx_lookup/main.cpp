// Chapter 14: the SMTP server of chapter 09; mxlookup now plans delivery: MX hosts in the order to try.
#include "server.hpp"
#include "smtp_session.hpp"

#include "shared/cli.hpp"

#include <csignal>

int main(int argc, char** argv) {
    CLI::App app{"mailsteps chapter 14: an SMTP server delivering into Maildir, spooling big messages to disk"};
    mailsteps::ServerOptions server_options;
    smtp::Options smtp;
    mailsteps::add_server_options(app, server_options);
    app.add_option("--smtp-port", smtp.port, "SMTP port (0: the OS picks)")->capture_default_str();
    app.add_option("--hostname", smtp.hostname, "This server's name, for the greeting and Received: headers")
        ->capture_default_str();
    app.add_option("--domain", smtp.domains, "A domain whose mail this server takes (repeatable)")
        ->capture_default_str();
    app.add_option("--maildir-root", smtp.maildir_root, "Mailboxes live in DIR/<domain>/<user>/")
        ->capture_default_str();
    app.add_option("--max-message-size", smtp.max_message_size, "Largest message in octets (advertised as SIZE)")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    app.add_option("--max-recipients", smtp.max_recipients, "Most recipients of one message")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    mailsteps::add_duration_option(app, "--command-timeout", smtp.command_timeout, "Close a client silent this long");
    mailsteps::add_duration_option(app, "--data-timeout", smtp.data_timeout, "Close a client silent this long in DATA");

    return mailsteps::run_program(app, argc, argv, [&] {
        // A write past RLIMIT_FSIZE must fail with EFBIG, answered like a full disk, not kill us.
        std::signal(SIGXFSZ, SIG_IGN);
        mailsteps::Server server(server_options);
        server.listen("smtp", smtp.port, "421 4.3.2 " + smtp.hostname + " Too many connections, try again later\r\n",
                      [&](mailsteps::LineStream& client) { return smtp::smtp_session(client, smtp); });
        return server.run();
    });
}
