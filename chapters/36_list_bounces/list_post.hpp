#pragma once

#include "spool.hpp"

#include <string>
#include <utility>
#include <vector>

// What a list does to a post on its way to the members: the headers that say which list it came
// through, and the check that it has not come through this list before.
namespace lists {

// RFC 2919 List-Id and RFC 2369's List-Help, List-Subscribe, List-Unsubscribe and List-Post,
// then Precedence: list (which auto-responders read as "do not answer") and X-Loop (which some
// of them also check), each ending in "\n".
std::string list_headers(const std::string& list);

// NAME-request@DOMAIN: where a list takes requests by mail (list_requests.hpp).
std::string request_address(const std::string& list);

// The fields of the message's header section (RFC 5322 2.2): each name and its value, with
// folded lines joined and the spaces around the value trimmed.
std::vector<std::pair<std::string, std::string>> header_fields(const mailsteps::Spool& text);

// True if the message's header section already names `list` in a List-Id or an X-Loop field:
// the post has been sent out by this list before, and coming back it would loop.
bool has_passed(const mailsteps::Spool& text, const std::string& list);

}  // namespace lists
