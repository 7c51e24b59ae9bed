#include "list_post.hpp"

#include "shared/ascii.hpp"

#include <algorithm>
#include <string_view>
#include <system_error>

namespace lists {
namespace {

constexpr std::size_t max_header_section = 1024 * 1024; // far more than any real message's

// RFC 2919 2: the list's identifier, the name and the domain as one dotted name.
std::string list_id(const std::string& list) {
    auto at = list.find('@');
    return list.substr(0, at) + "." + list.substr(at + 1);
}

std::string_view trimmed(std::string_view text) {
    auto first = text.find_first_not_of(" \t");
    if (first == std::string_view::npos) {
        return {};
    }
    return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

bool contains_ci(std::string_view text, std::string_view part) {
    for (std::size_t i = 0; i + part.size() <= text.size(); ++i) {
        if (mailsteps::equals_ci(text.substr(i, part.size()), part)) {
            return true;
        }
    }
    return false;
}

// The header section (RFC 5322 2.1): everything up to the first empty line, LF line ends.
std::string header_section(const mailsteps::Spool& text) {
    std::string headers;
    text.read([&](std::string_view piece) {
        headers += piece;
        auto end = headers.starts_with('\n') ? 0 : headers.find("\n\n");
        if (end != std::string::npos || headers.size() > max_header_section) {
            headers.resize(std::min(end, headers.size()));
            return std::make_error_code(std::errc::interrupted); // seen enough
        }
        return std::error_code();
    });
    return headers;
}

}  // namespace

std::string list_headers(const std::string& list) {
    return "List-Id: <" + list_id(list) + ">\n"       // RFC 2919
           "List-Post: <mailto:" + list + ">\n"      // RFC 2369 3.4
           "Precedence: list\n"
           "X-Loop: " + list + "\n";
}

bool has_passed(const mailsteps::Spool& text, const std::string& list) {
    auto headers = header_section(text);
    // RFC 5322 2.2.3: a field goes on over lines that start with a space or a tab.
    std::string field;
    auto check = [&] {
        auto colon = field.find(':');
        if (colon == std::string::npos) {
            return false;
        }
        auto name = trimmed(std::string_view(field).substr(0, colon));
        auto value = trimmed(std::string_view(field).substr(colon + 1));
        return (mailsteps::equals_ci(name, "List-Id") && contains_ci(value, "<" + list_id(list) + ">")) ||
               (mailsteps::equals_ci(name, "X-Loop") && mailsteps::equals_ci(value, list));
    };
    std::string_view rest = headers;
    while (!rest.empty()) {
        auto end = rest.find('\n');
        auto line = rest.substr(0, end);
        rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 1);
        if (line.starts_with(' ') || line.starts_with('\t')) {
            field += line;
            continue;
        }
        if (check()) {
            return true;
        }
        field = line;
    }
    return check();
}

}  // namespace lists
