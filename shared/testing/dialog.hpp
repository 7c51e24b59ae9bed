#pragma once

#include "shared/testing/client.hpp"

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace mailsteps::testing {

// A dialog script is a plain-text conversation a student can read:
//
//   # comment (say which RFC rule the next steps check)
//   ! args: --max-line 20    extra command-line arguments for the server
//   C: EHLO client.test      the client sends this line and CRLF
//   B: DATA\r\n              the client sends exactly these bytes (no CRLF added)
//   S: 250-*                 the server answers one line; * matches any run of characters
//   S*: 250-*                any number of lines that match, none too (the EHLO keywords a
//                            later chapter adds); the next S: takes the first that does not
//   S: <closed>              the server closes the connection
//
// In C: and B: lines, \r \n \t \\ and \xHH are escapes, so bare CRs and LFs can be sent.
// Consecutive C:/B: lines go out in one write, which is how pipelining is tested.
struct DialogStep {
    enum class Kind { send, expect_line, expect_lines, expect_closed };
    Kind kind;
    std::string text; // bytes to send, or the pattern to expect
    int line_number;
};

struct Dialog {
    std::filesystem::path path;
    std::vector<std::string> args;
    std::vector<DialogStep> steps;
};

// Throws std::runtime_error naming file:line for a line it does not understand.
Dialog load_dialog(const std::filesystem::path& path);

// The *.dialog files in a directory, sorted by name.
std::vector<std::filesystem::path> find_dialogs(const std::filesystem::path& directory);

bool wildcard_match(std::string_view pattern, std::string_view text);

// Plays the dialog over `client`; each mismatch is a test failure naming the script line.
void play_dialog(const Dialog& dialog, LineClient& client);

} // namespace mailsteps::testing
