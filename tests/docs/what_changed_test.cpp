// Each docs/NN_topic.md has a "What changed" section listing the files the chapter added,
// changed and removed compared with the chapter before it. This test recomputes those lists
// from chapters/ so the docs cannot drift from the code.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

namespace fs = std::filesystem;

namespace {

const fs::path source_dir = MAILSTEPS_SOURCE_DIR;

std::string read_file(const fs::path& path) {
    std::ifstream file(path, std::ios::binary);
    std::ostringstream text;
    text << file.rdbuf();
    return text.str();
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

// Files below `dir`, as paths relative to it.
std::set<std::string> files_in(const fs::path& dir) {
    std::set<std::string> files;
    if (dir.empty()) {
        return files;
    }
    for (const auto& entry : fs::recursive_directory_iterator(dir)) {
        if (entry.is_regular_file()) {
            files.insert(fs::relative(entry.path(), dir).generic_string());
        }
    }
    return files;
}

struct Changes {
    std::set<std::string> added, changed, removed;
};

Changes compare(const fs::path& before, const fs::path& after) {
    Changes changes;
    auto old_files = files_in(before);
    auto new_files = files_in(after);
    for (const auto& file : new_files) {
        if (!old_files.contains(file)) {
            changes.added.insert(file);
        } else if (read_file(before / file) != read_file(after / file)) {
            changes.changed.insert(file);
        }
    }
    for (const auto& file : old_files) {
        if (!new_files.contains(file)) {
            changes.removed.insert(file);
        }
    }
    return changes;
}

// The section's list items look like "- added `smtp_session.cpp`: what it is".
Changes documented(const fs::path& page) {
    std::istringstream text(read_file(page));
    Changes changes;
    bool in_section = false;
    static const std::regex item(R"(- (added|changed|removed) `([^`]+)`.*)");
    for (std::string line; std::getline(text, line);) {
        if (line.starts_with("## ")) {
            in_section = line == "## What changed";
            continue;
        }
        std::smatch match;
        if (in_section && std::regex_match(line, match, item)) {
            auto& list = match[1] == "added" ? changes.added : match[1] == "changed" ? changes.changed : changes.removed;
            list.insert(match[2]);
        }
    }
    return changes;
}

} // namespace

TEST(Docs, EveryChapterHasAPageWhoseWhatChangedMatchesTheCode) {
    auto chapters = chapter_dirs();
    ASSERT_FALSE(chapters.empty());
    fs::path previous;
    for (const auto& chapter : chapters) {
        auto page = source_dir / "docs" / (chapter.filename().string() + ".md");
        ASSERT_TRUE(fs::exists(page)) << page << " is missing";
        auto actual = compare(previous, chapter);
        auto listed = documented(page);
        EXPECT_EQ(listed.added, actual.added) << page << ": files added";
        EXPECT_EQ(listed.changed, actual.changed) << page << ": files changed";
        EXPECT_EQ(listed.removed, actual.removed) << page << ": files removed";
        previous = chapter;
    }
}
