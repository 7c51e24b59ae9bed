#pragma once

// For tests of MessageBuilder, which changes once after chapter 07: chapter 09 gives it a
// directory to spool big messages to, and its text becomes a Spool there, read piece by piece.
// These make one and read its text in every chapter from 07 on, so that the same tests run.
#include "smtp_data.hpp"

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>

namespace smtp::tests {

// A MessageBuilder with the size limit `max_size` that spools, from chapter 09, to `directory`.
template <typename Builder = MessageBuilder>
Builder make_message_builder(std::uint64_t max_size, const std::filesystem::path& directory) {
    if constexpr (std::is_constructible_v<Builder, std::uint64_t, const std::filesystem::path&>) {
        return Builder(max_size, directory);
    } else {
        return Builder(max_size);
    }
}

// The whole of a text held in memory (MessageBuilder::text() in chapters 07 and 08)...
inline std::string whole_text(const std::string& text) { return text; }

// ...or in a Spool (from chapter 09), which hands it over in pieces.
template <typename Spool>
std::string whole_text(const Spool& spool) {
    std::string text;
    spool.read([&](std::string_view piece) {
        text += piece;
        return std::error_code{};
    });
    return text;
}

} // namespace smtp::tests
