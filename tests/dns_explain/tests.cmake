# DNS as text: chapter 12 onwards. Records printed like dig, and the annotated dump of
# `mxlookup --explain`, which is the form of the fixtures in tests/dns/packets/.
mailsteps_topic_test(dns_explain_tests SOURCES dns_explain/dns_explain_test.cpp)

# `cmake --preset fuzz` (clang): the libFuzzer target for the packet parser, built from only
# the chapter's parser sources and the production-style view it is compared with
# (tests/dns_fast_path/), and a program that writes the captured packets out as its seed corpus.
if(MAILSTEPS_FUZZ)
    set(chapter_dir ${PROJECT_SOURCE_DIR}/chapters/${MAILSTEPS_${CHAPTER}_DIR})
    add_executable(${CHAPTER}_dns_fuzz dns/dns_fuzz.cpp dns_fast_path/message_view.cpp ${chapter_dir}/dns_explain.cpp
        ${chapter_dir}/dns_message.cpp ${chapter_dir}/dns_name.cpp ${chapter_dir}/dns_text.cpp)
    target_include_directories(${CHAPTER}_dns_fuzz PRIVATE ${chapter_dir} ${CMAKE_CURRENT_SOURCE_DIR}/dns_fast_path
        ${ASIO_INCLUDE_DIR})
    target_compile_options(${CHAPTER}_dns_fuzz PRIVATE -fsanitize=fuzzer,address,undefined)
    target_link_options(${CHAPTER}_dns_fuzz PRIVATE -fsanitize=fuzzer,address,undefined)
    add_executable(${CHAPTER}_dns_corpus dns/write_corpus.cpp)
    target_include_directories(${CHAPTER}_dns_corpus PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
    target_compile_definitions(${CHAPTER}_dns_corpus PRIVATE MAILSTEPS_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
endif()
