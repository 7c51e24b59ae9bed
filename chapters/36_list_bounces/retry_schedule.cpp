#include "retry_schedule.hpp"

#include <algorithm>

namespace relay {
namespace {

std::string_view trim_spaces(std::string_view text) {
    auto first = text.find_first_not_of(' ');
    if (first == std::string_view::npos) {
        return {};
    }
    return text.substr(first, text.find_last_not_of(' ') - first + 1);
}

}  // namespace

std::optional<RetrySchedule> RetrySchedule::parse(std::string_view list) {
    std::vector<mailsteps::Duration> intervals;
    for (;;) {
        auto comma = list.find(',');
        auto interval = mailsteps::parse_duration(trim_spaces(list.substr(0, comma)));
        if (!interval || *interval <= mailsteps::Duration::zero()) {
            return std::nullopt;
        }
        intervals.push_back(*interval);
        if (comma == std::string_view::npos) {
            return RetrySchedule{std::move(intervals)};
        }
        list.remove_prefix(comma + 1);
    }
}

mailsteps::Duration RetrySchedule::delay_after(int attempts) const {
    if (attempts < 1) {
        return mailsteps::Duration::zero();
    }
    auto index = std::min(static_cast<std::size_t>(attempts), intervals_.size()) - 1;
    return intervals_[index];
}

std::string RetrySchedule::to_string() const {
    std::string text;
    for (auto interval : intervals_) {
        text += (text.empty() ? "" : ",") + mailsteps::format_duration(interval);
    }
    return text;
}

}  // namespace relay
