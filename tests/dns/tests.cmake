# DNS: chapter 10 onwards. The message parser on captured and hostile packets (and against the
# benchmarks' production-style view), the client and resolver against an in-process fake
# server, and mxlookup against dnsmasq and dig.
mailsteps_topic_test(dns_unit_tests SOURCES dns/dns_message_test.cpp dns/mx_resolver_test.cpp
    dns/message_view_test.cpp dns/message_view.cpp)
mailsteps_topic_test(dns_e2e_tests SOURCES dns/mxlookup_e2e_test.cpp dns/dnsmasq.cpp PROGRAM mxlookup)

# `cmake --preset fuzz` (clang): the libFuzzer target for the packet parser, built from only
# the chapter's parser sources and the view it is compared with, and a program that writes the
# captured packets out as its seed corpus.
if(MAILSTEPS_FUZZ)
    set(chapter_dir ${PROJECT_SOURCE_DIR}/chapters/${MAILSTEPS_${CHAPTER}_DIR})
    add_executable(${CHAPTER}_dns_fuzz dns/dns_fuzz.cpp dns/message_view.cpp ${chapter_dir}/dns_explain.cpp
        ${chapter_dir}/dns_message.cpp ${chapter_dir}/dns_name.cpp ${chapter_dir}/dns_text.cpp)
    target_include_directories(${CHAPTER}_dns_fuzz PRIVATE ${chapter_dir} ${ASIO_INCLUDE_DIR})
    target_compile_options(${CHAPTER}_dns_fuzz PRIVATE -fsanitize=fuzzer,address,undefined)
    target_link_options(${CHAPTER}_dns_fuzz PRIVATE -fsanitize=fuzzer,address,undefined)
    add_executable(${CHAPTER}_dns_corpus dns/write_corpus.cpp)
endif()
