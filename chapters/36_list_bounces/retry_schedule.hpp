#pragma once

#include "shared/duration.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace relay {

// RFC 5321 4.5.4.1: after a temporary failure the client waits and tries again, at growing
// intervals. --retry-schedule lists the waits; the last one repeats until the message has been
// queued for --max-queue-lifetime and is bounced.
inline constexpr std::string_view default_retry_schedule = "1m,5m,15m,30m,1h,2h,4h";

class RetrySchedule {
public:
    // "1m,5m,15m": durations as mailsteps::parse_duration reads them, separated by commas with
    // optional spaces. nullopt for an empty list, an empty item, a bad duration or a zero one
    // (which would retry in a tight loop).
    static std::optional<RetrySchedule> parse(std::string_view list);

    // How long to wait after the Nth failed attempt: the Nth interval, or the last one when N
    // is past the end of the list. Zero before any attempt has failed (N < 1).
    mailsteps::Duration delay_after(int attempts) const;

    // The list in its shortest spelling, "1m,5m,15m", for --help and the log.
    std::string to_string() const;

private:
    explicit RetrySchedule(std::vector<mailsteps::Duration> intervals) : intervals_(std::move(intervals)) {}

    std::vector<mailsteps::Duration> intervals_;  // never empty, never zero
};

}  // namespace relay
