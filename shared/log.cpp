#include "shared/log.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <unistd.h>

namespace mailsteps {
namespace {

std::atomic<LogLevel> max_level{LogLevel::info};
std::atomic<bool> trace_enabled{false};

std::string_view level_name(LogLevel level) {
    switch (level) {
    case LogLevel::error: return "error";
    case LogLevel::warning: return "warning";
    case LogLevel::info: return "info";
    case LogLevel::debug: return "debug";
    }
    return "?";
}

// 2026-11-25T19:40:00.123Z
std::string utc_timestamp() {
    auto now = std::chrono::system_clock::now();
    std::time_t seconds = std::chrono::system_clock::to_time_t(now);
    auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()) % 1000;
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &utc);
    char with_millis[40];
    std::snprintf(with_millis, sizeof with_millis, "%s.%03dZ", text, static_cast<int>(millis.count()));
    return with_millis;
}

void append_escaped(std::string& out, std::string_view text) {
    static constexpr char hex[] = "0123456789abcdef";
    for (unsigned char c : text) {
        if (c == '\r') {
            out += "\\r";
        } else if (c == '\n') {
            out += "\\n";
        } else if (c == '\\') {
            out += "\\\\";
        } else if (c < 0x20 || c >= 0x7f) { // beyond ASCII too: U+2028 and U+0085 end lines for some readers
            out += "\\x";
            out += hex[c >> 4];
            out += hex[c & 0xf];
        } else {
            out += static_cast<char>(c);
        }
    }
}

} // namespace

void configure_logging(bool verbose, bool trace) {
    max_level = verbose ? LogLevel::debug : LogLevel::info;
    trace_enabled = trace;
}

void write_log_line(LogLevel level, std::string_view context, std::string_view text) {
    std::string line = utc_timestamp();
    line += ' ';
    line += level_name(level);
    if (!context.empty()) {
        line += " [";
        line += context;
        line += ']';
    }
    line += ' ';
    append_escaped(line, text);
    line += '\n';
    // One write(2) per line: lines from many threads interleave whole, never mixed.
    [[maybe_unused]] auto written = ::write(STDERR_FILENO, line.data(), line.size());
}

bool Logger::enabled(LogLevel level) { return level <= max_level.load(std::memory_order_relaxed); }

bool Logger::tracing() const { return trace_enabled.load(std::memory_order_relaxed); }

void Logger::trace(std::string_view direction, std::string_view line) const {
    if (tracing()) {
        std::string text(direction);
        text += line;
        write_log_line(LogLevel::info, context_, text);
    }
}

} // namespace mailsteps
