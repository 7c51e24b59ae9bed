#pragma once

#include "smtp_address.hpp"

#include <ctime>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

// The Sender Rewriting Scheme (SRS, Shevek 2004; libsrs2 and Mail::SRS implement it): how a
// forwarder sends a stranger's message on under an envelope sender of its own domain, so that
// SPF (RFC 7208) at the next server checks the forwarder, and bounces still find their way
// back. carol@sender.test, forwarded by example.test, becomes
//
//     SRS0=HHHH=TT=sender.test=carol@example.test
//
// TT is the day (two base32 digits), HHHH an HMAC over it and the original address, so that
// nobody without the secret can make an address of ours relay to wherever they like.
namespace srs {

class Rewriter {
public:
    // `domain`: ours, the one SRS addresses are at.
    Rewriter(std::string secret, std::string domain);

    // The sender to use in place of `sender`; nullopt if the SRS address would be longer than a
    // local part may be (RFC 5321 4.5.3.1.1: 64 octets), since we ourselves would then refuse
    // the bounces sent to it.
    std::optional<smtp::Mailbox> forward(const smtp::Mailbox& sender, std::time_t now) const;

    // The original sender, if `local_part` (of an address at one of our domains) is an SRS0
    // address we made, with the right hash, at most 21 days ago. The session asks only for
    // bounces (MAIL FROM:<>), which is what comes back to a sender.
    std::optional<smtp::Mailbox> reverse(std::string_view local_part, std::time_t now) const;

private:
    std::string hash(std::string_view day, std::string_view domain, std::string_view local_part) const;

    std::string secret_;
    std::string domain_;
};

// The secret in `file`, made (random, mode 0600) if the file does not exist yet. Throws
// std::runtime_error when it can be neither read nor made.
std::string read_or_make_secret(const std::filesystem::path& file);

}  // namespace srs
