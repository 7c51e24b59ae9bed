// Each chapter's page quotes the code it teaches in ```cpp blocks. A quote must appear, line
// for line and in order, in one of that chapter's files, so the text can never drift from
// the code: change the code and this test names the page whose quote no longer holds.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

const fs::path source_dir = MAILSTEPS_SOURCE_DIR;

std::vector<std::string> lines_of(const fs::path& path) {
    std::vector<std::string> lines;
    std::ifstream file(path, std::ios::binary);
    for (std::string line; std::getline(file, line);) {
        lines.push_back(line);
    }
    return lines;
}

struct Quote {
    std::size_t line; // where the block starts on its page, for the failure message
    std::vector<std::string> text;
};

std::vector<Quote> cpp_quotes(const fs::path& page) {
    std::vector<Quote> quotes;
    auto lines = lines_of(page);
    for (std::size_t i = 0; i < lines.size(); ++i) {
        if (lines[i] == "```cpp") {
            Quote quote{i + 1, {}};
            for (++i; i < lines.size() && lines[i] != "```"; ++i) {
                quote.text.push_back(lines[i]);
            }
            quotes.push_back(quote);
        }
    }
    return quotes;
}

bool contains_in_order(const std::vector<std::string>& file, const std::vector<std::string>& quote) {
    return !quote.empty() && std::search(file.begin(), file.end(), quote.begin(), quote.end()) != file.end();
}

} // namespace

TEST(Docs, EveryQuotedBlockIsInItsChapter) {
    std::size_t pages = 0;
    for (const auto& chapter : fs::directory_iterator(source_dir / "chapters")) {
        auto name = chapter.path().filename().string();
        if (!chapter.is_directory() || !std::regex_match(name, std::regex(R"(\d\d_.+)"))) {
            continue;
        }
        auto page = source_dir / "docs" / (name + ".md");
        auto quotes = cpp_quotes(page);
        EXPECT_GE(quotes.size(), 3U) << page << " should walk its chapter's code in ```cpp quotes";
        std::vector<std::vector<std::string>> files;
        for (const auto& entry : fs::recursive_directory_iterator(chapter.path())) {
            if (entry.is_regular_file()) {
                files.push_back(lines_of(entry.path()));
            }
        }
        for (const auto& quote : quotes) {
            bool found = std::any_of(files.begin(), files.end(),
                                     [&](const auto& file) { return contains_in_order(file, quote.text); });
            EXPECT_TRUE(found) << page.filename().string() << ":" << quote.line
                               << ": this ```cpp block is not in chapters/" << name << "/ line for line";
        }
        ++pages;
    }
    EXPECT_GT(pages, 0U);
}
