// Chapter 36: the mail server with TLS both ways, aliases, forwarding, and mailing lists that
// look after themselves. Mail for our domains lands in Maildir folders, where POP3 clients read
// it, with STLS or on the pop3s port; the aliases file gives them more addresses than mailboxes,
// here or elsewhere, and what an alias forwards leaves with a sender rewritten by SRS. A post to
// a list goes to each of its members with the list's headers, once; NAME-request@ takes
// subscribe and unsubscribe, and NAME-bounces@ counts bounces, removing members whose mail keeps
// failing. Mail for others, from clients allowed to relay or logged in on the submission ports,
// is queued and handed on, through TLS wherever the receiving server offers it.
#include "aliases.hpp"
#include "demo.hpp"
#include "dns_client.hpp"
#include "list_command.hpp"
#include "login_throttle.hpp"
#include "pop3_session.hpp"
#include "relay.hpp"
#include "relay_network.hpp"
#include "retry_schedule.hpp"
#include "server.hpp"
#include "smtp_session.hpp"
#include "srs.hpp"
#include "tls.hpp"
#include "user_command.hpp"
#include "users.hpp"

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
    CLI::App app{"mailsteps chapter 36: a mail server with TLS both ways, aliases, forwarding, and mailing lists"};
    mailsteps::ServerOptions server_options;
    smtp::Options smtp;
    relay::Options relay_options;
    std::vector<std::string> relay_networks{"127.0.0.0/8", "::1/128"};
    std::string dns_server;
    std::string retry_schedule(relay::default_retry_schedule);
    pop3::Options pop3;
    std::filesystem::path users_file = "./var/users";
    std::filesystem::path aliases_file = "./var/aliases";
    std::filesystem::path srs_secret_file = "./var/srs-secret";
    std::filesystem::path lists_dir = "./var/lists";
    int max_address_failures = 10;
    mailsteps::Duration address_failure_window = std::chrono::minutes(15);
    bool demo = false;
    mailsteps::TlsFiles tls_files;
    std::uint16_t submission_port = 5870;  // stands for 587 (RFC 6409)
    std::uint16_t submissions_port = 4650; // stands for 465 (RFC 8314)
    std::uint16_t pop3s_port = 9950;       // stands for 995 (RFC 8314)
    std::vector<std::string> plaintext_networks{"127.0.0.0/8", "::1/128"};
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
    app.add_option("--relay-network", relay_networks, "Clients in this CIDR block may relay (repeatable)")
        ->check(parses_as("an address block like 192.0.2.0/24", relay::parse_network))
        ->capture_default_str();
    app.add_option("--queue-dir", relay_options.queue_dir, "Where mail waiting to be relayed is kept")
        ->capture_default_str();
    app.add_option("--retry-schedule", retry_schedule, "Waits between attempts; the last one repeats")
        ->check(parses_as("a list of durations like 1m,5m,1h", relay::RetrySchedule::parse))
        ->capture_default_str();
    mailsteps::add_duration_option(app, "--max-queue-lifetime", relay_options.max_lifetime,
                                   "Bounce what could not be delivered in this long");
    mailsteps::add_duration_option(app, "--max-attempt-time", relay_options.max_attempt_time,
                                   "Leave what one delivery attempt has not done in this long to the next");
    app.add_option("--max-outbound", relay_options.max_outbound, "Messages being relayed at once")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    app.add_option("--submission-port", submission_port, "Submission port: STARTTLS, then AUTH (0: the OS picks)")
        ->capture_default_str();
    app.add_option("--submissions-port", submissions_port, "Submission port with implicit TLS (0: the OS picks)")
        ->capture_default_str();
    app.add_option("--pop3-port", pop3.port, "POP3 port (0: the OS picks)")->capture_default_str();
    app.add_option("--pop3s-port", pop3s_port, "POP3 port with implicit TLS (0: the OS picks)")->capture_default_str();
    app.add_option("--plaintext-login-network", plaintext_networks,
                   "Clients in this CIDR block may send a POP3 password without TLS (repeatable)")
        ->check(parses_as("an address block like 192.0.2.0/24", relay::parse_network))
        ->capture_default_str();
    app.add_option("--users", users_file, "The accounts, managed with `mailserver user`")->capture_default_str();
    app.add_option("--aliases", aliases_file, "Aliases and catch-alls: lines like 'info@example.test: alice@example.test'")
        ->capture_default_str();
    app.add_option("--lists-dir", lists_dir, "The mailing lists, managed with `mailserver list`")->capture_default_str();
    app.add_option("--srs-secret", srs_secret_file, "The key of forwarded senders' SRS addresses (made if missing)")
        ->capture_default_str();
    mailsteps::add_duration_option(app, "--pop3-timeout", pop3.idle_timeout,
                                   "Log out a POP3 client silent this long (RFC 1939: at least 10m)");
    mailsteps::add_duration_option(app, "--login-failure-delay", pop3.login_failure_delay,
                                   "Wait this long before answering a wrong password");
    app.add_option("--max-login-failures", pop3.max_login_failures, "Close a POP3 connection after this many")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    app.add_option("--max-address-failures", max_address_failures,
                   "Refuse POP3 logins from an address after this many failures within --address-failure-window")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    mailsteps::add_duration_option(app, "--address-failure-window", address_failure_window,
                                   "How long an address's failed logins count");
    auto* tls_cert = app.add_option("--tls-cert", tls_files.certificate, "The server's certificate chain (PEM)")
                         ->capture_default_str();
    auto* tls_key = app.add_option("--tls-key", tls_files.key, "The certificate's private key (PEM)")
                        ->capture_default_str();
    app.add_flag("--demo", demo,
                 "Create the account demo@<first --domain>, password demo, with sample mail (once; it stays in"
                 " --users, and with an account in it, mail for unknown local users is refused)");
    auto user_command = accounts::add_user_command(app);
    auto list_command = lists::add_list_command(app);

    return mailsteps::run_program(app, argc, argv, [&] {
        if (user_command.command->parsed()) {
            return accounts::run_user_command(user_command, users_file);
        }
        if (list_command.command->parsed()) {
            return lists::run_list_command(list_command, lists_dir);
        }
        if (demo) {
            if (auto error = demo::add_demo_account(users_file, smtp.maildir_root, smtp.domains.front(), smtp.hostname)) {
                throw std::runtime_error(*error);
            }
        }
        accounts::Users users(users_file, [](const std::string& problem) { mailsteps::Logger().error(problem); });
        smtp.users = &users;
        pop3.users = &users;
        aliases::Aliases aliases(aliases_file, [](const std::string& problem) { mailsteps::Logger().error(problem); });
        smtp.aliases = &aliases;
        srs::Rewriter srs(srs::read_or_make_secret(srs_secret_file), smtp.domains.front());
        smtp.srs = &srs;
        smtp.lists_dir = lists_dir;
        pop3::LoginThrottle throttle(max_address_failures, address_failure_window);
        pop3.throttle = smtp.throttle = &throttle;
        smtp.login_failure_delay = pop3.login_failure_delay;
        smtp.max_login_failures = pop3.max_login_failures;
        pop3.maildir_root = smtp.maildir_root;
        pop3.default_domain = smtp.domains.front();
        // A fresh install has TLS at once, as Debian's "snakeoil" certificate gives it: with neither
        // file named nor there, make a self-signed pair. A file named but missing is an error.
        if (tls_cert->count() == 0 && tls_key->count() == 0 && !std::filesystem::exists(tls_files.certificate) &&
            !std::filesystem::exists(tls_files.key)) {
            auto fingerprint = mailsteps::make_self_signed_certificate(tls_files, smtp.hostname);
            mailsteps::Logger().info("made a self-signed certificate for ", smtp.hostname, " in ",
                                     tls_files.certificate.string(), ", SHA-256 fingerprint ", fingerprint);
        }
        asio::ssl::context tls = mailsteps::make_server_tls(tls_files);
        smtp.tls = pop3.tls = &tls;
        asio::ssl::context relay_tls = mailsteps::make_client_tls();
        relay_options.client.tls = &relay_tls;
        for (const auto& network : relay_networks) {
            smtp.relay_networks.push_back(*relay::parse_network(network));
        }
        for (const auto& network : plaintext_networks) {
            pop3.plaintext_networks.push_back(*relay::parse_network(network));
        }
        relay_options.dns_servers = dns_server.empty() ? dns::read_resolv_conf()
                                                       : std::vector{*dns::parse_server(dns_server)};
        relay_options.retry_schedule = *relay::RetrySchedule::parse(retry_schedule);
        relay_options.client.hostname = smtp.hostname;

        // A write past RLIMIT_FSIZE must fail with EFBIG, answered like a full disk, not kill us.
        std::signal(SIGXFSZ, SIG_IGN);
        mailsteps::Server server(server_options);
        smtp.disk = pop3.disk = &server.disk();
        // Made once we know our own address. Declared after the server, so destroyed before it,
        // while the server's io_context, which it uses, still exists; and safely: sessions call
        // it from the disk threads, and server.run() returns only when those have stopped.
        std::optional<relay::Relay> outbound;
        smtp::Options submission; // smtp's options once they are complete, below, in submission mode
        std::string busy = "421 4.3.2 " + smtp.hostname + " Too many connections, try again later\r\n";
        relay_options.self = server.listen("smtp", smtp.port, busy, [&](mailsteps::LineStream& client) {
            return smtp::smtp_session(client, smtp);
        });
        server.listen("submission", submission_port, busy, [&](mailsteps::LineStream& client) {
            return smtp::smtp_session(client, submission);
        });
        // Implicit TLS: a client there waits for a handshake, so when we are busy we only close.
        server.listen("submissions", submissions_port, "", [&](mailsteps::LineStream& client) {
            return smtp::submissions_session(client, submission);
        });
        server.listen("pop3", pop3.port, "-ERR [SYS/TEMP] Too many connections, try again later\r\n",
                      [&](mailsteps::LineStream& client) { return pop3::pop3_session(client, pop3); });
        server.listen("pop3s", pop3s_port, "",
                      [&](mailsteps::LineStream& client) { return pop3::pop3s_session(client, pop3); });
        outbound.emplace(server.context(), relay_options, smtp);
        smtp.relay = &*outbound;
        submission = smtp;
        submission.submission = true;
        outbound->start();
        server.on_shutdown([&] { outbound->stop(); });
        return server.run();
    });
}
