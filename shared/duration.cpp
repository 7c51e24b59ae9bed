#include "shared/duration.hpp"

#include <array>
#include <charconv>

namespace mailsteps {
namespace {

struct Unit {
    std::string_view suffix;
    Duration length;
};

constexpr std::array<Unit, 5> units{{
    {"d", std::chrono::hours(24)},
    {"h", std::chrono::hours(1)},
    {"m", std::chrono::minutes(1)},
    {"s", std::chrono::seconds(1)},
    {"ms", Duration(1)},
}};

} // namespace

std::optional<Duration> parse_duration(std::string_view text) {
    std::uint64_t count = 0;
    auto [rest, error] = std::from_chars(text.data(), text.data() + text.size(), count);
    if (error != std::errc{} || rest == text.data()) {
        return std::nullopt;
    }
    std::string_view suffix(rest, text.data() + text.size() - rest);
    if (suffix.empty()) {
        suffix = "s";
    }
    for (const Unit& unit : units) {
        if (suffix == unit.suffix) {
            if (count > static_cast<std::uint64_t>(Duration::max().count() / unit.length.count())) {
                return std::nullopt;
            }
            return unit.length * static_cast<Duration::rep>(count);
        }
    }
    return std::nullopt;
}

std::string format_duration(Duration duration) {
    if (duration == Duration::zero()) {
        return "0s";
    }
    for (const Unit& unit : units) {
        if (duration.count() % unit.length.count() == 0) {
            return std::to_string(duration / unit.length) + std::string(unit.suffix);
        }
    }
    return std::to_string(duration.count()) + "ms";
}

} // namespace mailsteps
