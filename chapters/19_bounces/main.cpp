// Chapter 19: the relay bounces what fails. Mail for our domains lands in Maildir folders; mail
// for others, from clients allowed to relay, is queued, retried, and bounced if it cannot go.
#include "dns_client.hpp"
#include "relay.hpp"
#include "retry_schedule.hpp"
#include "server.hpp"
#include "smtp_session.hpp"

#include "shared/cli.hpp"

#include <csignal>
#include <optional>

namespace {

// A CLI11 check from a parser: the text is valid when `parse` accepts it.
template <class Parse> CLI::Validator parses_as(std::string description, Parse parse) {
    return CLI::Validator(
        [parse, description](std::string& text) {
            return parse(text) ? std::string() : "'" + text + "' is not " + description;
        },
        "");
}

} // namespace

int main(int argc, char** argv) {
    CLI::App app{"mailsteps chapter 19: an SMTP server that delivers locally and relays, bouncing what fails"};
    mailsteps::ServerOptions server_options;
    smtp::Options smtp;
    relay::Options relay_options;
    std::vector<std::string> relay_clients{"127.0.0.1", "::1"};
    std::string dns_server;
    std::string retry_schedule(relay::default_retry_schedule);
    mailsteps::add_server_options(app, server_options);
    app.add_option("--smtp-port", smtp.port, "SMTP port (0: the OS picks)")->capture_default_str();
    app.add_option("--hostname", smtp.hostname, "This server's name, for the greeting and Received: headers")
        ->capture_default_str();
    app.add_option("--domain", smtp.domains, "A domain whose mail is delivered here (repeatable)")
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
    app.add_option("--dns-server", dns_server, "Name server as HOST:PORT (default: those in /etc/resolv.conf)")
        ->check(parses_as("HOST:PORT", dns::parse_server));
    app.add_option("--relay-port", relay_options.port, "Port of the MX hosts we relay to")->capture_default_str();
    app.add_option("--relay-network", relay_clients, "A client at this address may relay (repeatable)")
        ->capture_default_str();
    app.add_option("--queue-dir", relay_options.queue_dir, "Where mail waiting to be relayed is kept")
        ->capture_default_str();
    app.add_option("--retry-schedule", retry_schedule, "Waits between attempts; the last one repeats")
        ->check(parses_as("a list of durations like 1m,5m,1h", relay::RetrySchedule::parse))
        ->capture_default_str();
    mailsteps::add_duration_option(app, "--max-queue-lifetime", relay_options.max_lifetime,
                                   "Bounce what could not be delivered in this long");

    return mailsteps::run_program(app, argc, argv, [&] {
        for (const auto& address : relay_clients) {
            smtp.relay_clients.push_back(asio::ip::make_address(address));
        }
        relay_options.dns_servers = dns_server.empty() ? dns::read_resolv_conf()
                                                       : std::vector{*dns::parse_server(dns_server)};
        relay_options.retry_schedule = *relay::RetrySchedule::parse(retry_schedule);
        relay_options.client.hostname = smtp.hostname;

        // A write past RLIMIT_FSIZE must fail with EFBIG, answered like a full disk, not kill us.
        std::signal(SIGXFSZ, SIG_IGN);
        mailsteps::Server server(server_options);
        // Made once we know our own address. Declared after the server, so destroyed before it,
        // while the server's io_context, which it uses, still exists; and safely: sessions call
        // it from the network threads, and server.run() returns only when those have stopped.
        std::optional<relay::Relay> outbound;
        relay_options.self =
            server.listen("smtp", smtp.port, "421 4.3.2 " + smtp.hostname + " Too many connections, try again later\r\n",
                          [&](mailsteps::LineStream& client) { return smtp::smtp_session(client, smtp); });
        outbound.emplace(server.context(), relay_options, smtp);
        smtp.relay = &*outbound;
        outbound->start();
        return server.run();
    });
}
