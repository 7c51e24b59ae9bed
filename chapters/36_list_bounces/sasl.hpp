#pragma once

#include <optional>
#include <string>
#include <string_view>

// What SMTP AUTH (RFC 4954) carries: SASL messages (RFC 4422), base64-encoded on the wire.
namespace smtp {

// RFC 4648 4: base64 with its padding, nothing else (no line breaks, no spaces). nullopt for
// anything else: RFC 4954 4 answers it with 501.
std::optional<std::string> decode_base64(std::string_view text);

// RFC 4616 2, the PLAIN mechanism: [authzid] NUL authcid NUL passwd.
struct PlainCredentials {
    std::string authorization; // who to act as: empty, or the user itself (we allow nothing else)
    std::string user;
    std::string password;
};
std::optional<PlainCredentials> parse_plain(std::string_view message);

// For --trace: an AUTH command without its initial response ("AUTH PLAIN ****"), and any
// answer to a challenge, all of which carry passwords.
std::string hide_auth(std::string_view line);
std::string hide_all(std::string_view line);

} // namespace smtp
