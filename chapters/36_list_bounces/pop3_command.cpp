#include "pop3_command.hpp"

#include "shared/ascii.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <limits>

namespace pop3 {
namespace {

constexpr std::array<std::pair<std::string_view, Verb>, 13> keywords{{
    {"USER", Verb::user}, {"PASS", Verb::pass}, {"QUIT", Verb::quit}, {"STAT", Verb::stat},
    {"LIST", Verb::list}, {"RETR", Verb::retr}, {"DELE", Verb::dele}, {"NOOP", Verb::noop},
    {"RSET", Verb::rset}, {"TOP", Verb::top},   {"UIDL", Verb::uidl}, {"CAPA", Verb::capa},
    {"STLS", Verb::stls}, // RFC 2595 4
}};

// RFC 1939 3: "Each argument may be up to 40 characters long."
constexpr std::size_t max_number_length = 40;

// Decimal digits only: no sign, no space, no "0x".
bool is_decimal(std::string_view text) {
    return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::optional<std::size_t> parse_count(std::string_view text) {
    if (text.size() > max_number_length || !is_decimal(text)) {
        return std::nullopt;
    }
    std::size_t number = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
    if (error != std::errc()) {
        return std::nullopt;
    }
    return number;
}

} // namespace

Command parse_command(std::string_view line) {
    auto space = line.find(' ');
    std::string_view keyword = line.substr(0, space);
    std::string_view argument = space == std::string_view::npos ? "" : line.substr(space + 1);
    for (const auto& [name, verb] : keywords) {
        if (mailsteps::equals_ci(keyword, name)) {
            return {verb, std::string(argument)};
        }
    }
    return {Verb::unknown, std::string(argument)};
}

bool allowed_in(State state, Verb verb) {
    switch (verb) {
    case Verb::capa: // RFC 2449 5: in every state
    case Verb::quit: return true;
    case Verb::user:
    case Verb::pass:
    case Verb::stls: return state == State::authorization;
    case Verb::stat:
    case Verb::list:
    case Verb::retr:
    case Verb::dele:
    case Verb::noop:
    case Verb::rset:
    case Verb::top:
    case Verb::uidl: return state == State::transaction;
    case Verb::unknown: break;
    }
    return false;
}

std::optional<std::size_t> parse_message_number(std::string_view text) {
    auto number = parse_count(text);
    return number == 0 ? std::nullopt : number;
}

std::optional<std::pair<std::size_t, std::size_t>> parse_top_arguments(std::string_view text) {
    auto space = text.find(' ');
    if (space == std::string_view::npos) {
        return std::nullopt;
    }
    auto message = parse_message_number(text.substr(0, space));
    std::string_view count = text.substr(space + 1);
    auto lines = parse_count(count);
    if (!lines && is_decimal(count)) {
        lines = std::numeric_limits<std::size_t>::max();
    }
    if (!message || !lines) {
        return std::nullopt;
    }
    return std::pair{*message, *lines};
}

std::string hide_password(std::string_view line) {
    if (mailsteps::starts_with_ci(line, "PASS")) { // "PASS\tsecret" is no command, but still a secret
        return std::string(line.substr(0, 4)) + " ****";
    }
    return std::string(line);
}

} // namespace pop3
