#pragma once

#include <string>
#include <string_view>

// Protocol keywords and host names are ASCII and case-insensitive. These helpers compare
// them without <cctype>, whose answers depend on the locale and on the sign of `char`.
namespace mailsteps {

constexpr bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
constexpr bool is_digit(char c) { return c >= '0' && c <= '9'; }
constexpr char to_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

constexpr bool equals_ci(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (to_lower(a[i]) != to_lower(b[i])) {
            return false;
        }
    }
    return true;
}

constexpr bool starts_with_ci(std::string_view text, std::string_view prefix) {
    return text.size() >= prefix.size() && equals_ci(text.substr(0, prefix.size()), prefix);
}

inline std::string lowercase(std::string_view text) {
    std::string lower;
    for (char c : text) {
        lower += to_lower(c);
    }
    return lower;
}

}  // namespace mailsteps
