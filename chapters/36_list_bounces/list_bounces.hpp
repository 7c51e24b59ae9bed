#pragma once

#include "spool.hpp"

#include <ctime>
#include <filesystem>
#include <string>
#include <variant>
#include <vector>

// Bounces of a list's posts, which come to NAME-bounces@DOMAIN (chapter 33): read as delivery
// status notifications (RFC 3464), each failed member counted (lists::record_bounce) and, after
// bounces on 5 days, removed.
namespace lists {

// The recipients a DSN reports as failed: each per-recipient block of its
// message/delivery-status part whose Action is "failed", by its Final-Recipient (RFC 3464
// 2.3). Empty for anything else, such as a vacation message.
std::vector<std::string> failed_recipients(const mailsteps::Spool& text);

// A member whose bounce was counted, and whether that removed them.
struct CountedBounce {
    std::string member;
    bool removed = false;
};
using BounceOutcome = std::vector<CountedBounce>;

// Counts the bounce `text` for the members of `list` it names; an error message if the list's
// files could not be read or written. A bounce that names no member counts for nobody: the
// caller sends it to a person.
std::variant<BounceOutcome, std::string> take_bounce(const std::filesystem::path& dir, const std::string& list,
                                                     const mailsteps::Spool& text, std::time_t now);

}  // namespace lists
