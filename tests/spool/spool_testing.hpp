#pragma once

// For tests of chapter 09's Spool and of the code that fills one (MessageBuilder).
#include "spool.hpp"

#include <string>
#include <string_view>
#include <system_error>

namespace mailsteps::testing {

// The whole of a spooled text.
inline std::string read_spool(const Spool& spool) {
    std::string text;
    spool.read([&](std::string_view piece) {
        text += piece;
        return std::error_code{};
    });
    return text;
}

} // namespace mailsteps::testing
