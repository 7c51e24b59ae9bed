#include "list_bounces.hpp"

#include "lists.hpp"

#include "shared/ascii.hpp"

#include <algorithm>
#include <string_view>
#include <system_error>

namespace lists {
namespace {

// The DSN's fields come before the returned message, near the start: enough to read.
constexpr std::size_t max_read = 256 * 1024;

std::string_view trimmed(std::string_view text) {
    auto first = text.find_first_not_of(" \t\r");
    if (first == std::string_view::npos) {
        return {};
    }
    return text.substr(first, text.find_last_not_of(" \t\r") - first + 1);
}

std::string first_part(const mailsteps::Spool& text) {
    std::string start;
    text.read([&](std::string_view piece) {
        start += piece;
        return start.size() >= max_read ? std::make_error_code(std::errc::interrupted) : std::error_code();
    });
    return start;
}

}  // namespace

std::vector<std::string> failed_recipients(const mailsteps::Spool& text) {
    std::vector<std::string> failed;
    std::string recipient;
    bool failed_action = false;
    bool in_report = false; // inside the message/delivery-status part (RFC 3464 2)
    // A per-recipient block ends at an empty line (RFC 3464 2.1). Only the report's blocks count:
    // the text for people and the returned message may say anything.
    auto end_block = [&] {
        if (failed_action && !recipient.empty() &&
            std::find(failed.begin(), failed.end(), recipient) == failed.end()) {
            failed.push_back(recipient);
        }
        recipient.clear();
        failed_action = false;
    };
    std::string_view rest;
    auto start = first_part(text);
    rest = start;
    while (!rest.empty()) {
        auto end = rest.find('\n');
        auto line = rest.substr(0, end);
        rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 1);
        auto colon = line.find(':');
        if (trimmed(line).empty()) {
            end_block();
        } else if (line.starts_with("--")) { // a MIME boundary: the part is over
            end_block();
            in_report = false;
        } else if (mailsteps::starts_with_ci(line, "Content-Type: message/delivery-status")) {
            in_report = true;
        } else if (in_report && colon != std::string_view::npos) {
            auto name = trimmed(line.substr(0, colon));
            auto value = trimmed(line.substr(colon + 1));
            if (mailsteps::equals_ci(name, "Final-Recipient") && mailsteps::starts_with_ci(value, "rfc822;")) {
                recipient = mailsteps::lowercase(trimmed(value.substr(7))); // RFC 3464 2.3.2
            } else if (mailsteps::equals_ci(name, "Action")) {
                failed_action = mailsteps::equals_ci(value, "failed"); // 2.3.3
            }
        }
    }
    end_block();
    return failed;
}

std::variant<BounceOutcome, std::string> take_bounce(const std::filesystem::path& dir, const std::string& list,
                                                     const mailsteps::Spool& text, std::time_t now) {
    auto members = read_members(dir, list);
    if (auto* error = std::get_if<std::string>(&members)) {
        return *error;
    }
    const auto& addresses = std::get<std::vector<std::string>>(members);
    BounceOutcome outcome;
    for (const auto& recipient : failed_recipients(text)) {
        if (std::find(addresses.begin(), addresses.end(), recipient) == addresses.end()) {
            continue; // not a member (any more): nothing to count
        }
        auto removed = record_bounce(dir, list, recipient, static_cast<long>(now / (24 * 60 * 60)));
        if (auto* error = std::get_if<std::string>(&removed)) {
            return *error;
        }
        outcome.push_back({recipient, std::get<bool>(removed)});
    }
    return outcome;
}

}  // namespace lists
