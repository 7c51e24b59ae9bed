#pragma once

#include "spool.hpp"

#include <ctime>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <variant>

// Requests by mail to NAME-request@DOMAIN, as Mailman and ezmlm take them. The Subject: is the
// command: "subscribe", "unsubscribe", "help", or "confirm TOKEN". Joining and leaving take a
// round trip: the list mails the address a token, and only an answer carrying the token, which
// only someone reading that mailbox can have, changes the members. A token is a file in
// DIR/LIST/pending/, and lasts 3 days (Mailman's default).
namespace lists {

// The list that `address` is the request address of, if it is one of the form NAME-request@DOMAIN.
std::optional<std::string> list_of_requests(const std::string& address);

struct Request {
    enum class Kind { subscribe, unsubscribe, confirm, help };
    Kind kind = Kind::help; // anything not understood gets the help text
    std::string token;      // for confirm
};

// The command in a Subject: such as "Re: confirm 3f...": the words after any "Re:" or "Fwd:".
Request parse_request(std::string_view subject);

// A notice from the list to one address: its recipient and the whole message.
struct Notice {
    std::string to;
    std::string text; // header section and body, LF line ends
};

// Carries out `request` from `sender` (an address, lowercased) for `list`, and says what to send
// back; or the error that kept it from being carried out (try again later). Tokens are made and
// used here; members change only through confirm.
std::variant<Notice, std::error_code> handle_request(const std::filesystem::path& dir, const std::string& list,
                                                     const Request& request, const std::string& sender,
                                                     std::time_t now);

}  // namespace lists
