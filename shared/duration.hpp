#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace mailsteps {

using Duration = std::chrono::milliseconds;

// "500ms", "30s", "5m", "2h", "5d"; a bare number means seconds. nullopt when malformed.
std::optional<Duration> parse_duration(std::string_view text);

// The shortest exact spelling: 1500ms -> "1500ms", 90000ms -> "90s", 300000ms -> "5m".
std::string format_duration(Duration duration);

} // namespace mailsteps
