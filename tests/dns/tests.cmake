# DNS: chapter 03 onwards. The message parser on captured and hostile packets, the client and
# resolver against an in-process fake server, and mxlookup against dnsmasq and dig.
mailsteps_topic_test(dns_unit_tests SOURCES dns/dns_message_test.cpp dns/mx_resolver_test.cpp)

# `cmake --preset fuzz`: a libFuzzer target per chapter, and a program writing its seed corpus.
if(MAILSTEPS_FUZZ)
    add_executable(${CHAPTER}_dns_fuzz dns/dns_fuzz.cpp)
    target_compile_options(${CHAPTER}_dns_fuzz PRIVATE -fsanitize=fuzzer,address,undefined)
    target_link_options(${CHAPTER}_dns_fuzz PRIVATE -fsanitize=fuzzer,address,undefined)
    target_link_libraries(${CHAPTER}_dns_fuzz PRIVATE ${CHAPTER}_core)
    add_executable(${CHAPTER}_dns_corpus dns/write_corpus.cpp)
endif()
