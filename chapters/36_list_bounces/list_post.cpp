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
    auto request = "<mailto:" + request_address(list) + "?subject=";
    return "List-Id: <" + list_id(list) + ">\n"       // RFC 2919
           "List-Help: " + request + "help>\n"       // RFC 2369 3.1
           "List-Subscribe: " + request + "subscribe>\n"     // 3.3
           "List-Unsubscribe: " + request + "unsubscribe>\n" // 3.2
           "List-Post: <mailto:" + list + ">\n"      // 3.4
           "Precedence: list\n"
           "X-Loop: " + list + "\n";
}

std::string request_address(const std::string& list) {
    auto at = list.find('@');
    return list.substr(0, at) + "-request" + list.substr(at);
}

std::vector<std::pair<std::string, std::string>> header_fields(const mailsteps::Spool& text) {
    std::vector<std::pair<std::string, std::string>> fields;
    auto add = [&](std::string_view field) {
        if (auto colon = field.find(':'); colon != std::string_view::npos) {
            fields.emplace_back(trimmed(field.substr(0, colon)), trimmed(field.substr(colon + 1)));
        }
    };
    auto headers = header_section(text);
    std::string field;
    std::string_view rest = headers;
    while (!rest.empty()) {
        auto end = rest.find('\n');
        auto line = rest.substr(0, end);
        rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 1);
        if (line.starts_with(' ') || line.starts_with('\t')) { // RFC 5322 2.2.3: folded
            field += line;
            continue;
        }
        add(field);
        field = line;
    }
    add(field);
    return fields;
}

bool has_passed(const mailsteps::Spool& text, const std::string& list) {
    for (const auto& [name, value] : header_fields(text)) {
        if ((mailsteps::equals_ci(name, "List-Id") && contains_ci(value, "<" + list_id(list) + ">")) ||
            (mailsteps::equals_ci(name, "X-Loop") && mailsteps::equals_ci(value, list))) {
            return true;
        }
    }
    return false;
}

}  // namespace lists
