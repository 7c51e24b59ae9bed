// The course's size budget: each chapter adds about 300 non-blank lines of source to the
// chapter before it, never more than 450 (tests and docs do not count), so that a class can
// walk its diff in an hour. The count is what `diff -ruN` shows as added lines.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <regex>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

const fs::path source_dir = MAILSTEPS_SOURCE_DIR;
constexpr std::size_t budget = 450;

std::vector<std::string> lines_of(const fs::path& path) {
    std::vector<std::string> lines;
    std::ifstream file(path, std::ios::binary);
    for (std::string line; std::getline(file, line);) {
        lines.push_back(line);
    }
    return lines;
}

bool is_blank(const std::string& line) {
    return std::all_of(line.begin(), line.end(), [](char c) { return c == ' ' || c == '\t' || c == '\r'; });
}

// Non-blank lines of `after` that are not in a longest common subsequence with `before`.
std::size_t added_lines(const std::vector<std::string>& before, const std::vector<std::string>& after) {
    std::vector<std::vector<std::size_t>> common(before.size() + 1, std::vector<std::size_t>(after.size() + 1));
    for (std::size_t i = before.size(); i-- > 0;) {
        for (std::size_t j = after.size(); j-- > 0;) {
            common[i][j] = before[i] == after[j] ? common[i + 1][j + 1] + 1 : std::max(common[i + 1][j], common[i][j + 1]);
        }
    }
    std::size_t added = 0;
    std::size_t i = 0, j = 0;
    while (j < after.size()) {
        if (i < before.size() && before[i] == after[j]) {
            ++i, ++j;
        } else if (i < before.size() && common[i + 1][j] >= common[i][j + 1]) {
            ++i;
        } else {
            added += is_blank(after[j]) ? 0 : 1;
            ++j;
        }
    }
    return added;
}

std::size_t chapter_added_lines(const fs::path& before, const fs::path& after) {
    std::size_t added = 0;
    for (const auto& entry : fs::recursive_directory_iterator(after)) {
        if (entry.is_regular_file()) {
            auto old_file = before / fs::relative(entry.path(), after);
            added += added_lines(fs::exists(old_file) ? lines_of(old_file) : std::vector<std::string>{},
                                 lines_of(entry.path()));
        }
    }
    return added;
}

std::vector<fs::path> chapter_dirs() {
    std::vector<fs::path> dirs;
    for (const auto& entry : fs::directory_iterator(source_dir / "chapters")) {
        auto name = entry.path().filename().string();
        if (entry.is_directory() && std::regex_match(name, std::regex(R"(\d\d_.+)"))) {
            dirs.push_back(entry.path());
        }
    }
    std::sort(dirs.begin(), dirs.end());
    return dirs;
}

} // namespace

TEST(ChapterSize, TheCountIsWhatDiffShows) {
    EXPECT_EQ(added_lines({"a", "b", "c"}, {"a", "x", "c", "", "y"}), 2U);
    EXPECT_EQ(added_lines({}, {"one", "  ", "two"}), 2U);
    EXPECT_EQ(added_lines({"same", "lines"}, {"same", "lines"}), 0U);
    EXPECT_EQ(added_lines({"a", "b"}, {"b", "a"}), 1U); // a move is a removal and an addition
}

TEST(ChapterSize, EveryChapterAddsAtMost450Lines) {
    auto chapters = chapter_dirs();
    ASSERT_FALSE(chapters.empty());
    fs::path previous;
    for (const auto& chapter : chapters) {
        auto name = chapter.filename().string();
        auto added = previous.empty() ? chapter_added_lines(fs::path("/nonexistent"), chapter)
                                      : chapter_added_lines(previous, chapter);
        std::cout << name << ": " << added << " lines added\n";
        EXPECT_LE(added, budget) << name << " adds " << added << " non-blank lines to the chapter before it";
        previous = chapter;
    }
}
