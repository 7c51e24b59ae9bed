#include "demo.hpp"

#include "local_delivery.hpp"
#include "users.hpp"

#include "shared/ascii.hpp"

#include <algorithm>
#include <array>

namespace demo {
namespace {

struct Sample {
    std::string_view subject;
    std::string_view body;
};

// The sample messages, each teaching something about what a mail client shows.
constexpr std::array<Sample, 3> samples{{
    {"Welcome to mailsteps",
     "Hello!\n"
     "\n"
     "This message came out of a Maildir folder, var/mail/<domain>/demo/new/, where the\n"
     "SMTP side of this server stores what it accepts. The POP3 side reads the same files:\n"
     "one process, one store.\n"
     "\n"
     "Send yourself another one and fetch it again:\n"
     "\n"
     "  swaks --server 127.0.0.1 --port 2525 --to demo@localhost\n"
     "  curl pop3://127.0.0.1:1100/ --user demo:demo\n"},
    {"What the headers say",
     "Look at this message's source: the server added Return-Path: and Received: at the top,\n"
     "the way every server a message passes through adds a Received: line (RFC 5321 4.4).\n"
     "Read from the bottom up, Received: lines are the path the message took.\n"},
    {"Lines that start with a dot",
     "In SMTP and POP3 a line holding one dot ends the message, so a line of the message\n"
     "that starts with a dot is sent with a second dot in front, and the receiver takes it\n"
     "away again (RFC 5321 4.5.2, RFC 1939 3). These lines arrive intact:\n"
     ".\n"
     "..\n"
     ".signature\n"},
}};

} // namespace

std::optional<std::string> add_demo_account(const std::filesystem::path& users_file,
                                            const std::filesystem::path& maildir_root, std::string_view domain,
                                            std::string_view hostname) {
    // As the users file holds it, lowercased: "--domain Example.test" must find it the second time.
    std::string address = mailsteps::lowercase("demo@" + std::string(domain));
    auto accounts = accounts::read_users(users_file);
    if (auto* error = std::get_if<std::string>(&accounts)) {
        return *error;
    }
    auto& existing = std::get<std::vector<accounts::Account>>(accounts);
    if (std::any_of(existing.begin(), existing.end(), [&](const auto& account) { return account.address == address; })) {
        return std::nullopt;
    }
    if (auto error = accounts::add_user(users_file, address, "demo")) {
        return error;
    }
    // The samples arrive the way SMTP mail does: through local delivery, with trace headers.
    smtp::Envelope envelope;
    envelope.sender = smtp::Mailbox{"postmaster", std::string(domain)};
    envelope.recipients = {smtp::Mailbox{"demo", std::string(domain)}};
    envelope.client_name = std::string(hostname);
    envelope.client_address = asio::ip::make_address("127.0.0.1");
    for (std::size_t i = 0; i < samples.size(); ++i) {
        std::string text = "From: mailsteps <postmaster@" + std::string(domain) + ">\n" + "To: <" + address + ">\n" +
                           "Subject: " + std::string(samples[i].subject) + "\n" +
                           "Date: Wed, 25 Nov 2026 12:00:00 +0000\n" +
                           "Message-ID: <demo-" + std::to_string(i + 1) + "@" + std::string(domain) + ">\n" +
                           "\n" + std::string(samples[i].body);
        mailsteps::Spool spool(maildir_root);
        auto error = spool.append(text);
        if (!error) {
            error = smtp::deliver_locally(maildir_root, envelope, spool, hostname, "demo" + std::to_string(i + 1));
        }
        if (error) {
            return "cannot deliver the demo messages: " + error.message();
        }
    }
    return std::nullopt;
}

} // namespace demo
