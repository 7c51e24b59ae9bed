#pragma once

#include <sstream>
#include <string>
#include <string_view>

namespace mailsteps {

enum class LogLevel { error, warning, info, debug };

// Process-wide settings, from -v/--verbose and --trace.
void configure_logging(bool verbose, bool trace);

// Writes one line to stderr: "2026-11-25T19:40:00.123Z info [c7] text". Control characters and
// bytes beyond ASCII in the text are escaped (\r, \n, \x01, \xe2), so nothing a peer sends can
// forge or split a log line, not even for a reader that ends lines at U+2028 or U+0085.
void write_log_line(LogLevel level, std::string_view context, std::string_view text);

// A logger for one context: a connection ("c7"), the queue runner, the program itself ("").
class Logger {
public:
    explicit Logger(std::string context = {}) : context_(std::move(context)) {}

    template <class... Parts> void error(const Parts&... parts) const { log(LogLevel::error, parts...); }
    template <class... Parts> void warning(const Parts&... parts) const { log(LogLevel::warning, parts...); }
    template <class... Parts> void info(const Parts&... parts) const { log(LogLevel::info, parts...); }
    template <class... Parts> void debug(const Parts&... parts) const { log(LogLevel::debug, parts...); }

    // --trace: one protocol line, "C: ..." as received or "S: ..." as sent.
    bool tracing() const;
    void trace(std::string_view direction, std::string_view line) const;

    const std::string& context() const { return context_; }

private:
    template <class... Parts> void log(LogLevel level, const Parts&... parts) const {
        if (enabled(level)) {
            std::ostringstream text;
            (text << ... << parts);
            write_log_line(level, context_, text.str());
        }
    }
    static bool enabled(LogLevel level);

    std::string context_;
};

} // namespace mailsteps
