#include "sasl.hpp"

#include "shared/ascii.hpp"

#include <array>

namespace smtp {
namespace {

// RFC 4648 4, table 1: the 64 characters and the value each stands for; -1 for the rest.
constexpr std::array<int, 256> base64_values = [] {
    std::array<int, 256> values{};
    values.fill(-1);
    std::string_view alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (std::size_t i = 0; i < alphabet.size(); ++i) {
        values[static_cast<unsigned char>(alphabet[i])] = static_cast<int>(i);
    }
    return values;
}();

constexpr std::size_t max_field = 255; // RFC 4616 2: each part is at most 255 octets

} // namespace

std::optional<std::string> decode_base64(std::string_view text) {
    if (text.size() % 4 != 0) {
        return std::nullopt;
    }
    std::string data;
    data.reserve(text.size() / 4 * 3);
    for (std::size_t at = 0; at < text.size(); at += 4) {
        // "xx==" and "xxx=" only at the end: each '=' stands for a missing octet.
        bool last = at + 4 == text.size();
        std::size_t padding = last && text[at + 3] == '=' ? (text[at + 2] == '=' ? 2 : 1) : 0;
        unsigned group = 0;
        for (std::size_t i = 0; i < 4; ++i) {
            int value = i < 4 - padding ? base64_values[static_cast<unsigned char>(text[at + i])] : 0;
            if (value < 0) {
                return std::nullopt;
            }
            group = group << 6 | static_cast<unsigned>(value);
        }
        for (std::size_t i = 0; i < 3 - padding; ++i) {
            data += static_cast<char>(group >> (16 - 8 * i) & 0xff);
        }
    }
    return data;
}

std::optional<PlainCredentials> parse_plain(std::string_view message) {
    auto first = message.find('\0');
    auto second = first == std::string_view::npos ? first : message.find('\0', first + 1);
    if (second == std::string_view::npos || message.find('\0', second + 1) != std::string_view::npos) {
        return std::nullopt;
    }
    PlainCredentials credentials{std::string(message.substr(0, first)),
                                 std::string(message.substr(first + 1, second - first - 1)),
                                 std::string(message.substr(second + 1))};
    if (credentials.user.empty() || credentials.password.empty() || credentials.authorization.size() > max_field ||
        credentials.user.size() > max_field || credentials.password.size() > max_field) {
        return std::nullopt;
    }
    return credentials;
}

std::string hide_auth(std::string_view line) {
    auto mechanism_end = line.find(' ', 5);
    if (mailsteps::starts_with_ci(line, "AUTH ") && mechanism_end != std::string_view::npos) {
        return std::string(line.substr(0, mechanism_end)) + " ****";
    }
    return std::string(line);
}

std::string hide_all(std::string_view) { return "****"; }

} // namespace smtp
