#pragma once

#include "smtp_address.hpp"
#include "spool.hpp"

#include <asio/ip/address.hpp>

#include <ctime>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace smtp {

// RFC 5321 2.3.1: the envelope of one message, and where it came from.
struct Envelope {
    std::optional<Mailbox> sender; // nullopt: the null reverse-path <>
    std::vector<Mailbox> recipients;
    std::string client_name;       // what the client said in HELO/EHLO
    bool extended = false;         // EHLO (ESMTP) rather than HELO (SMTP)
    std::string tls;               // with STARTTLS: "TLSv1.3 with cipher ...", else empty
    bool authenticated = false;    // the client logged in (SMTP AUTH)
    asio::ip::address client_address;
};

// Delivers `text` (the data as received, with LF line ends) into each recipient's Maildir
// under `root`, each copy starting with Return-Path: and Received: headers. Every copy or none:
// on the first error the copies already stored are taken back, and the error is returned. On
// success the files stored in new/ are put in `stored`, if given, for take_back().
std::error_code deliver_locally(const std::filesystem::path& root, const Envelope& envelope,
                                const mailsteps::Spool& text, std::string_view hostname, std::string_view id,
                                std::vector<std::filesystem::path>* stored = nullptr);

// Removes copies deliver_locally() stored: when the rest of the message could not be accepted.
// RFC 5321 4.2.5: a message answered with a temporary failure must not be delivered; the client
// keeps it and tries again, so a copy left behind would arrive twice.
void take_back(const std::vector<std::filesystem::path>& stored);

// RFC 5322 3.3: "Wed, 25 Nov 2026 19:40:00 +0000", for Date: and Received: headers.
std::string rfc5322_date(std::time_t time);

// RFC 5321 4.4: the Received: header every server adds; `for` names the recipient if there is one.
std::string received_header(const Envelope& envelope, const Mailbox* recipient, std::string_view hostname,
                            std::string_view id, std::time_t now);

// RFC 5321 4.4: the trace headers the final, delivering server adds: Return-Path: and Received:.
std::string trace_headers(const Envelope& envelope, const Mailbox& recipient, std::string_view hostname,
                          std::string_view id, std::time_t now);

} // namespace smtp
