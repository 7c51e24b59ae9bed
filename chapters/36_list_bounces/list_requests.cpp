#include "list_requests.hpp"

#include "durable_file.hpp"
#include "list_post.hpp"
#include "lists.hpp"
#include "local_delivery.hpp"
#include "users.hpp"

#include "shared/ascii.hpp"

#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <sstream>
#include <stdexcept>
#include <system_error>

namespace lists {
namespace {

namespace fs = std::filesystem;

constexpr std::time_t token_lifetime = 3 * 24 * 60 * 60;
constexpr std::size_t max_pending = 1000; // a list's unanswered requests: a flood fills no disk

// 128 random bits as 32 hex digits: not guessable, and safe as a file name.
std::string new_token() {
    std::array<unsigned char, 16> random{};
    if (RAND_bytes(random.data(), static_cast<int>(random.size())) != 1) {
        throw std::runtime_error("no random numbers for a token");
    }
    std::string token;
    for (auto byte : random) {
        std::array<char, 3> hex{};
        std::snprintf(hex.data(), hex.size(), "%02x", byte);
        token += hex.data();
    }
    return token;
}

bool is_token(std::string_view text) {
    return text.size() == 32 && text.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

// A request waiting for its confirmation: DIR/LIST/pending/TOKEN holds "KIND ADDRESS TIME".
struct Pending {
    std::string kind; // "subscribe" or "unsubscribe"
    std::string address;
    std::time_t made = 0;
};

std::optional<Pending> read_pending(const fs::path& file) {
    auto content = mailsteps::read_regular_file(file, 1024);
    if (!std::holds_alternative<std::string>(content)) {
        return std::nullopt;
    }
    Pending pending;
    std::istringstream fields(std::get<std::string>(content));
    std::string more;
    if (!(fields >> pending.kind >> pending.address >> pending.made) || fields >> more ||
        !accounts::normalize_address(pending.address)) {
        return std::nullopt; // not a file this code wrote
    }
    return pending;
}

// Forgets the requests older than a token lives; the number of those left.
std::size_t expire(const fs::path& pending_dir, std::time_t now) {
    std::size_t left = 0;
    std::error_code error;
    for (const auto& entry : fs::directory_iterator(pending_dir, error)) {
        if (!is_token(entry.path().filename().string())) {
            continue; // TOKEN.new: another request being written
        }
        auto pending = read_pending(entry.path());
        if (!pending || now - pending->made > token_lifetime || pending->made > now) {
            fs::remove(entry.path(), error);
        } else {
            ++left;
        }
    }
    return left;
}

Notice notice(const std::string& list, const std::string& to, const std::string& subject, const std::string& body,
              std::time_t now) {
    auto domain = list.substr(list.find('@') + 1);
    return {to, "From: " + request_address(list) + "\n" + "To: " + to + "\n" + "Subject: " + subject + "\n" +
                    "Date: " + smtp::rfc5322_date(now) + "\n" + "Message-ID: <" + new_token() + "@" + domain + ">\n" +
                    "Auto-Submitted: auto-replied\n" // RFC 3834 5: no auto-reply to this
                    "\n" + body};
}

// The first round: a token, mailed to the address, to be sent back.
std::variant<Notice, std::error_code> ask_to_confirm(const fs::path& dir, const std::string& list,
                                                     const std::string& kind, const std::string& address,
                                                     std::time_t now) {
    auto pending_dir = dir / list / "pending";
    if (auto error = mailsteps::make_private_directory(pending_dir)) {
        return error;
    }
    if (expire(pending_dir, now) >= max_pending) {
        return std::make_error_code(std::errc::too_many_files_open); // "try again later"
    }
    auto token = new_token();
    std::string line = kind + " " + address + " " + std::to_string(now) + "\n";
    std::string_view parts[] = {line};
    auto file = pending_dir / token;
    if (auto error = mailsteps::write_durably(file.string() + ".new", file, parts, mailsteps::Existing::refuse)) {
        return error;
    }
    return notice(list, address, "confirm " + token,
                  "Someone, probably you, asked to " + kind + " " + address + (kind == "subscribe" ? " to " : " from ") +
                      list + ".\n\nTo confirm, reply to this message, keeping its subject. If you did not ask, do\n"
                             "nothing: the request is forgotten in 3 days.\n",
                  now);
}

// The second round: the token came back; the change is made.
std::variant<Notice, std::error_code> confirm(const fs::path& dir, const std::string& list, const std::string& token,
                                              const std::string& sender, std::time_t now) {
    auto file = dir / list / "pending" / token;
    auto pending = is_token(token) ? read_pending(file) : std::nullopt;
    if (!pending || now - pending->made > token_lifetime || pending->made > now) {
        return notice(list, sender, "Your request to " + list,
                      "The confirmation you sent is unknown or older than 3 days. Nothing was changed.\n", now);
    }
    std::error_code error;
    fs::remove(file, error);
    bool joining = pending->kind == "subscribe";
    auto problem = joining ? add_member(dir, list, pending->address) : remove_member(dir, list, pending->address);
    if (problem) {
        return notice(list, pending->address, "Your request to " + list, *problem + ".\n", now);
    }
    return notice(list, pending->address, joining ? "Welcome to " + list : "You have left " + list,
                  joining ? "You are now a member of " + list + ". To leave, send a message with the subject\n"
                                "\"unsubscribe\" to " + request_address(list) + ".\n"
                          : "You are no longer a member of " + list + ".\n",
                  now);
}

}  // namespace

std::optional<std::string> list_of_requests(const std::string& address) {
    constexpr std::string_view suffix = "-request";
    auto at = address.rfind('@');
    if (at == std::string::npos || !address.substr(0, at).ends_with(suffix)) {
        return std::nullopt;
    }
    return normalize_list(address.substr(0, at - suffix.size()) + address.substr(at));
}

Request parse_request(std::string_view subject) {
    std::istringstream words{std::string(subject)};
    std::string word;
    while (words >> word && (mailsteps::equals_ci(word, "Re:") || mailsteps::equals_ci(word, "Fwd:") ||
                             mailsteps::equals_ci(word, "Fw:"))) {
    }
    if (mailsteps::equals_ci(word, "subscribe")) {
        return {Request::Kind::subscribe, ""};
    }
    if (mailsteps::equals_ci(word, "unsubscribe")) {
        return {Request::Kind::unsubscribe, ""};
    }
    std::string token;
    if (mailsteps::equals_ci(word, "confirm") && words >> token) {
        return {Request::Kind::confirm, mailsteps::lowercase(token)};
    }
    return {};
}

std::variant<Notice, std::error_code> handle_request(const fs::path& dir, const std::string& list,
                                                     const Request& request, const std::string& sender,
                                                     std::time_t now) {
    auto members = read_members(dir, list);
    if (!std::holds_alternative<std::vector<std::string>>(members)) {
        return std::make_error_code(std::errc::io_error);
    }
    const auto& addresses = std::get<std::vector<std::string>>(members);
    bool member = std::find(addresses.begin(), addresses.end(), sender) != addresses.end();
    switch (request.kind) {
    case Request::Kind::subscribe:
        if (member) {
            return notice(list, sender, "Your request to " + list, "You are already a member of " + list + ".\n", now);
        }
        return ask_to_confirm(dir, list, "subscribe", sender, now);
    case Request::Kind::unsubscribe:
        if (!member) {
            return notice(list, sender, "Your request to " + list, "You are not a member of " + list + ".\n", now);
        }
        return ask_to_confirm(dir, list, "unsubscribe", sender, now);
    case Request::Kind::confirm: return confirm(dir, list, request.token, sender, now);
    case Request::Kind::help: break;
    }
    return notice(list, sender, "Help for " + list,
                  "Send a message to " + request_address(list) + " with one of these subjects:\n\n"
                  "  subscribe     to join the list\n"
                  "  unsubscribe   to leave it\n\n"
                  "Either is confirmed by a reply to the message the list sends you. Posts go to " + list + ".\n",
                  now);
}

}  // namespace lists
