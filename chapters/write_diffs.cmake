# cmake -DCHAPTERS_DIR=... -DOUTPUT_DIR=... -P write_diffs.cmake
# Writes OUTPUT_DIR/NN_topic.diff for each chapter: `diff -ruN` against the previous chapter,
# and prints how many non-blank lines each chapter adds (the size budget in
# tests/docs/chapter_size_test.cpp: about 300, never more than 450).
file(GLOB chapters RELATIVE ${CHAPTERS_DIR} ${CHAPTERS_DIR}/[0-9][0-9]_*)
list(SORT chapters)
file(MAKE_DIRECTORY ${OUTPUT_DIR})
set(empty ${OUTPUT_DIR}/.empty)
file(MAKE_DIRECTORY ${empty})
set(previous ${empty})
foreach(chapter IN LISTS chapters)
    execute_process(
        COMMAND diff -ruN ${previous} ${chapter}
        WORKING_DIRECTORY ${CHAPTERS_DIR}
        OUTPUT_FILE ${OUTPUT_DIR}/${chapter}.diff
        RESULT_VARIABLE status)
    if(status GREATER 1)
        message(FATAL_ERROR "diff failed for ${chapter}")
    endif()
    file(STRINGS ${OUTPUT_DIR}/${chapter}.diff added REGEX "^[+]")
    list(FILTER added EXCLUDE REGEX "^[+][+][+] ")
    list(FILTER added EXCLUDE REGEX "^[+][ \t]*$")
    list(LENGTH added count)
    message(STATUS "${OUTPUT_DIR}/${chapter}.diff: ${count} lines added")
    set(previous ${chapter})
endforeach()
