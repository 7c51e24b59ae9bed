#pragma once

#include "smtp_address.hpp"

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace relay {

enum class Failure {
    rejected,  // a permanent failure: a 5xx reply, or no server for the domain at all
    expired,   // still failing temporarily when --max-queue-lifetime ran out
};

struct FailedRecipient {
    smtp::Mailbox address;
    Failure failure = Failure::rejected;
    std::string remote_host;  // the server whose reply this is; empty when none answered
    std::string diagnostic;   // its reply, "550 5.1.1 No such user", or our own words when none
};

struct BounceInput {
    // RFC 5321 6.1: the bounce goes to the envelope sender. A message from the null
    // reverse-path <> is never bounced (it may itself be a bounce: no loops), which is why this
    // is a Mailbox and not an optional one. The bounce is sent with MAIL FROM:<>.
    smtp::Mailbox sender;
    std::string hostname;  // --hostname: who reports
    std::chrono::system_clock::time_point arrival;
    std::vector<FailedRecipient> recipients;
    std::string_view original;  // the message as queued, LF line ends; only its header is sent back
};

// RFC 3464 delivery status notification in an RFC 6522 multipart/report: a part for people, a
// message/delivery-status part for programs and the original header as text/rfc822-headers.
// LF line ends, like everything the server stores; no line longer than 998 octets.
std::string make_bounce(const BounceInput& input);

}  // namespace relay
