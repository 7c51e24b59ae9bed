#include "shared/testing/dialog.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <utility>

namespace mailsteps::testing {
namespace {

std::string unescape(std::string_view text, const std::string& where) {
    std::string bytes;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '\\') {
            bytes += text[i];
            continue;
        }
        if (++i == text.size()) {
            throw std::runtime_error(where + ": a lone \\ at the end of the line");
        }
        switch (text[i]) {
        case 'r': bytes += '\r'; break;
        case 'n': bytes += '\n'; break;
        case 't': bytes += '\t'; break;
        case '\\': bytes += '\\'; break;
        case 'x':
            if (i + 2 >= text.size() || !std::isxdigit(static_cast<unsigned char>(text[i + 1])) ||
                !std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
                throw std::runtime_error(where + ": \\x needs two hex digits");
            }
            bytes += static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16));
            i += 2;
            break;
        default: throw std::runtime_error(where + ": unknown escape \\" + std::string(1, text[i]));
        }
    }
    return bytes;
}

std::vector<std::string> split_words(std::string_view text) {
    std::istringstream words{std::string(text)};
    std::vector<std::string> result;
    for (std::string word; words >> word;) {
        result.push_back(word);
    }
    return result;
}

// The rest of the line after `prefix` and one optional space.
std::optional<std::string_view> after(std::string_view text, std::string_view prefix) {
    if (!text.starts_with(prefix)) {
        return std::nullopt;
    }
    text.remove_prefix(prefix.size());
    if (text.starts_with(' ')) {
        text.remove_prefix(1);
    }
    return text;
}

} // namespace

Dialog load_dialog(const std::filesystem::path& path) {
    std::ifstream file(path);
    if (!file) {
        throw std::runtime_error("cannot read " + path.string());
    }
    Dialog dialog{path, {}, {}};
    std::string line;
    for (int number = 1; std::getline(file, line); ++number) {
        std::string where = path.filename().string() + ":" + std::to_string(number);
        std::string_view text = line;
        if (text.empty() || text.starts_with('#')) {
            continue;
        }
        if (auto args = after(text, "! args:")) {
            auto words = split_words(*args);
            dialog.args.insert(dialog.args.end(), words.begin(), words.end());
        } else if (auto line = after(text, "C:")) {
            dialog.steps.push_back({DialogStep::Kind::send, unescape(*line, where) + "\r\n", number});
        } else if (auto bytes = after(text, "B:")) {
            dialog.steps.push_back({DialogStep::Kind::send, unescape(*bytes, where), number});
        } else if (auto replies = after(text, "S*:")) {
            dialog.steps.push_back({DialogStep::Kind::expect_lines, std::string(*replies), number});
        } else if (auto reply = after(text, "S:")) {
            auto kind = *reply == "<closed>" ? DialogStep::Kind::expect_closed : DialogStep::Kind::expect_line;
            dialog.steps.push_back({kind, std::string(*reply), number});
        } else {
            throw std::runtime_error(where + ": expected '#', '! args:', 'C:', 'B:', 'S:' or 'S*:'");
        }
    }
    return dialog;
}

std::vector<std::filesystem::path> find_dialogs(const std::filesystem::path& directory) {
    std::vector<std::filesystem::path> dialogs;
    for (const auto& entry : std::filesystem::directory_iterator(directory)) {
        if (entry.path().extension() == ".dialog") {
            dialogs.push_back(entry.path());
        }
    }
    std::sort(dialogs.begin(), dialogs.end());
    return dialogs;
}

bool wildcard_match(std::string_view pattern, std::string_view text) {
    auto star = pattern.find('*');
    if (star == std::string_view::npos) {
        return pattern == text;
    }
    if (!text.starts_with(pattern.substr(0, star))) {
        return false;
    }
    auto rest = pattern.substr(star + 1);
    for (auto from = star; from <= text.size(); ++from) {
        if (wildcard_match(rest, text.substr(from))) {
            return true;
        }
    }
    return false;
}

void play_dialog(const Dialog& dialog, LineClient& client) {
    std::string pending;               // consecutive sends go out together
    std::optional<std::string> unread; // the line that ended an S*: step, for the next step
    auto next_line = [&]() -> std::optional<std::string> {
        return unread ? std::exchange(unread, std::nullopt) : client.read_line();
    };
    for (const DialogStep& step : dialog.steps) {
        std::string where = dialog.path.filename().string() + ":" + std::to_string(step.line_number);
        if (step.kind == DialogStep::Kind::send) {
            pending += step.text;
            continue;
        }
        if (!pending.empty()) {
            client.send(pending);
            pending.clear();
        }
        if (step.kind == DialogStep::Kind::expect_lines) {
            for (auto line = next_line(); line; line = next_line()) {
                if (!wildcard_match(step.text, *line)) {
                    unread = line;
                    break;
                }
            }
            continue;
        }
        if (step.kind == DialogStep::Kind::expect_closed) {
            if (unread) {
                ADD_FAILURE() << where << ": expected the server to close the connection, got '" << *unread << "'";
                return;
            }
            if (!client.wait_closed()) {
                ADD_FAILURE() << where << ": expected the server to close the connection";
                return;
            }
            continue;
        }
        auto reply = next_line();
        if (!reply) {
            ADD_FAILURE() << where << ": expected '" << step.text << "', got "
                          << (client.closed() ? "the connection closed" : "nothing (timeout)");
            return;
        }
        if (!wildcard_match(step.text, *reply)) {
            ADD_FAILURE() << where << ": expected '" << step.text << "', got '" << *reply << "'";
            return;
        }
    }
    if (!pending.empty()) {
        client.send(pending);
    }
}

} // namespace mailsteps::testing
