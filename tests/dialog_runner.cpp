// Plays every dialog script of a topic against the chapter's program: one test per script.
#include "shared/testing/chapter.hpp"
#include "shared/testing/dialog.hpp"

#include <gtest/gtest.h>

using namespace mailsteps::testing;

class Dialogs : public ::testing::TestWithParam<std::filesystem::path> {};

TEST_P(Dialogs, Play) {
    Dialog dialog = load_dialog(GetParam());
    // "{dialogs}" in the arguments is the scripts' directory, for the files they read (a users file).
    for (auto& arg : dialog.args) {
        if (auto at = arg.find("{dialogs}"); at != std::string::npos) {
            arg.replace(at, 9, MAILSTEPS_DIALOG_DIR);
        }
    }
    ChapterServer server(dialog.args);
    LineClient client(server.port(MAILSTEPS_PROTOCOL));
    play_dialog(dialog, client);
    client.close();
}

INSTANTIATE_TEST_SUITE_P(Script, Dialogs, ::testing::ValuesIn(find_dialogs(MAILSTEPS_DIALOG_DIR)),
                         [](const auto& info) {
                             std::string name = info.param.stem().string();
                             for (char& c : name) {
                                 c = std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
                             }
                             return name;
                         });
