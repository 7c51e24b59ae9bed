#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

// Mailing lists (RFC 5321 3.9.2): a directory for each list under --lists-dir, named by the
// list's address, holding its members one address a line:
//
//     var/lists/family@example.test/members
//
// `mailserver list` (list_command.hpp) edits them under a lock; the server reads the members
// afresh for every post, so a change counts from the next message on.
namespace lists {

// What normalize_list accepts, for error and help messages. The name is also part of headers
// and file names, so it keeps to letters, digits, '.', '_' and '-'.
inline constexpr std::string_view list_form =
    "name@domain, the name of letters, digits, '.', '_' and '-', not ending in -bounces or -request";

// "Family@Example.Test" -> "family@example.test"; nullopt if not a valid list address.
std::optional<std::string> normalize_list(std::string_view address);

// NAME-bounces@DOMAIN: the sender of every copy of a post, so that bounces come to the list.
std::string bounces_address(const std::string& list);

// The list that `address` is the bounces address of, if it is one of the form.
std::optional<std::string> list_of_bounces(const std::string& address);

bool list_exists(const std::filesystem::path& dir, const std::string& list);

// A list is open to posts from anyone, or members-only: then the file DIR/LIST/members-only
// exists (`mailserver list create --members-only`; `touch` or `rm` it to change).
bool is_members_only(const std::filesystem::path& dir, const std::string& list);

// The members, in the file's order; an error message naming the file if it cannot be read.
std::variant<std::vector<std::string>, std::string> read_members(const std::filesystem::path& dir,
                                                                  const std::string& list);

// Edits, each under an flock(2) on DIR/.lock and written durably: nullopt, or why not.
std::optional<std::string> create_list(const std::filesystem::path& dir, const std::string& list,
                                       bool members_only = false);
std::optional<std::string> delete_list(const std::filesystem::path& dir, const std::string& list);
std::optional<std::string> add_member(const std::filesystem::path& dir, const std::string& list,
                                      const std::string& member);
std::optional<std::string> remove_member(const std::filesystem::path& dir, const std::string& list,
                                         const std::string& member);

// A bounce for `member` on `day` (days since 1970), kept in DIR/LIST/bounces as "ADDRESS
// DAYS LAST-DAY" lines. Bounces count once a day, and are forgotten after 7 days without one;
// on the 5th day the member is removed (Mailman's defaults: bounce_score_threshold 5,
// bounce_info_stale_after 7 days). True if the member was removed.
std::variant<bool, std::string> record_bounce(const std::filesystem::path& dir, const std::string& list,
                                              const std::string& member, long day);

}  // namespace lists
