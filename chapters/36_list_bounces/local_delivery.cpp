#include "local_delivery.hpp"

#include "maildir.hpp"

#include <array>

namespace smtp {
namespace {

// RFC 5321 4.1.3: an address literal, "[192.0.2.1]" or "[IPv6:2001:db8::1]".
std::string address_literal(const asio::ip::address& address) {
    if (address.is_v6() && address.to_v6().is_v4_mapped()) {
        return address_literal(asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6()));
    }
    return address.is_v6() ? "[IPv6:" + address.to_string() + "]" : "[" + address.to_string() + "]";
}

} // namespace

// RFC 5322 3.3: "Wed, 25 Nov 2026 19:40:00 +0000"
std::string rfc5322_date(std::time_t time) {
    std::tm utc{};
    gmtime_r(&time, &utc);
    std::array<char, 64> text{};
    std::strftime(text.data(), text.size(), "%a, %d %b %Y %H:%M:%S +0000", &utc);
    return text.data();
}

std::string received_header(const Envelope& envelope, const Mailbox* recipient, std::string_view hostname,
                            std::string_view id, std::time_t now) {
    std::string header = "Received: from " + envelope.client_name + " (" + address_literal(envelope.client_address) + ")\n";
    if (!envelope.tls.empty()) {
        header += "\t(using " + envelope.tls + ")\n";
    }
    // RFC 3848: ESMTP with STARTTLS is ESMTPS, with AUTH ESMTPA, with both ESMTPSA
    std::string protocol = !envelope.extended ? "SMTP"
                                              : std::string("ESMTP") + (envelope.tls.empty() ? "" : "S") +
                                                    (envelope.authenticated ? "A" : "");
    header += "\tby " + std::string(hostname) + " (mailsteps) with " + protocol + " id " + std::string(id);
    if (recipient) {
        header += "\n\tfor <" + to_string(*recipient) + ">";
    }
    return header + "; " + rfc5322_date(now) + "\n";
}

std::string trace_headers(const Envelope& envelope, const Mailbox& recipient, std::string_view hostname,
                          std::string_view id, std::time_t now) {
    std::string sender = envelope.sender ? to_string(*envelope.sender) : "";
    return "Return-Path: <" + sender + ">\n" + received_header(envelope, &recipient, hostname, id, now);
}

std::error_code deliver_locally(const std::filesystem::path& root, const Envelope& envelope,
                                const mailsteps::Spool& text, std::string_view hostname, std::string_view id,
                                std::vector<std::filesystem::path>* stored) {
    std::time_t now = std::time(nullptr);
    std::vector<std::filesystem::path> copies; // in new/ so far
    for (const Mailbox& recipient : envelope.recipients) {
        auto maildir = mailsteps::mailbox_path(root, recipient.domain, recipient.local_part);
        if (!maildir) {
            take_back(copies);
            return std::make_error_code(std::errc::invalid_argument); // RCPT checked this already
        }
        std::string headers = trace_headers(envelope, recipient, hostname, id, now);
        std::array<std::string_view, 1> parts{headers};
        auto result = mailsteps::deliver_to_maildir(*maildir, parts, &text);
        if (auto* error = std::get_if<std::error_code>(&result)) {
            take_back(copies);
            return *error;
        }
        copies.push_back(*maildir / "new" / std::get<mailsteps::Delivered>(result).file_name);
    }
    if (stored) {
        *stored = std::move(copies);
    }
    return {};
}

void take_back(const std::vector<std::filesystem::path>& stored) {
    for (const auto& file : stored) {
        std::error_code ignored;
        std::filesystem::remove(file, ignored);
    }
}

} // namespace smtp
