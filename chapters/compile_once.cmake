# Compiling each source once.
#
# A chapter is a snapshot, so most of its files are the previous chapter's, byte for byte. A
# source file that is unchanged, whose headers from the chapter are unchanged too, and that is
# compiled with the same definitions, gives the same object: it is compiled once, and every
# later chapter (and every test program) that has the same file links that object. This about
# halves the build. Debuggers and sanitizer reports may therefore name the copy of a file in
# the chapter that introduced it; it is the same file.

# mailsteps_compile_once(TARGET CHAPTER_DIR): compiles each source of TARGET in an object
# library of its own, unless an identical one (same source_key) was made for another target.
function(mailsteps_compile_once target chapter_dir)
    get_target_property(sources ${target} SOURCES)
    get_target_property(target_dir ${target} SOURCE_DIR)
    get_target_property(definitions ${target} COMPILE_DEFINITIONS)
    get_target_property(options ${target} COMPILE_OPTIONS)
    set(objects "")
    foreach(source IN LISTS sources)
        cmake_path(ABSOLUTE_PATH source BASE_DIRECTORY ${target_dir})
        mailsteps_source_key(${source} ${chapter_dir} key)
        string(SHA1 key "${key}${definitions}${options}")
        get_property(library GLOBAL PROPERTY mailsteps_objects_${key})
        if(NOT library)
            cmake_path(GET source STEM stem)
            set(library ${target}.${stem})
            add_library(${library} OBJECT ${source})
            foreach(property INCLUDE_DIRECTORIES COMPILE_DEFINITIONS COMPILE_OPTIONS LINK_LIBRARIES)
                get_target_property(value ${target} ${property})
                if(value)
                    set_property(TARGET ${library} PROPERTY ${property} "${value}")
                endif()
            endforeach()
            set_property(GLOBAL PROPERTY mailsteps_objects_${key} ${library})
        endif()
        list(APPEND objects $<TARGET_OBJECTS:${library}>)
    endforeach()
    set_target_properties(${target} PROPERTIES SOURCES "${objects}" LINKER_LANGUAGE CXX)
endfunction()

# mailsteps_source_key(SOURCE CHAPTER_DIR OUT): what decides SOURCE's object, apart from the
# compile options: its text and the name and text of every header of the chapter it includes,
# directly or not. (Headers outside the chapter are the same for every chapter.) The key is
# worked out when CMake configures, so every file read for it is a configure dependency: after
# an edit, the next build configures again (a second) before it picks the objects, and an edited
# copy is compiled instead of the unchanged earlier chapter's file it used to match.
function(mailsteps_source_key source chapter_dir out)
    cmake_path(RELATIVE_PATH source BASE_DIRECTORY ${chapter_dir} OUTPUT_VARIABLE name)
    cmake_path(IS_PREFIX chapter_dir ${source} in_chapter)
    if(NOT in_chapter)
        set(name ${source})
    endif()
    file(READ ${source} key)
    string(PREPEND key "${name}\n")
    set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${source})
    set(pending ${source})
    set(seen ${source})
    while(pending)
        list(POP_FRONT pending file)
        cmake_path(GET file PARENT_PATH here)
        file(STRINGS ${file} includes REGEX "^#include \"")
        foreach(include IN LISTS includes)
            string(REGEX REPLACE "^#include \"([^\"]+)\".*" "\\1" include "${include}")
            # Where the compiler looks for "...": beside the including file, then -I.
            foreach(directory ${here} ${chapter_dir} ${PROJECT_SOURCE_DIR}/tests ${PROJECT_SOURCE_DIR})
                set(header ${directory}/${include})
                if(EXISTS ${header})
                    cmake_path(NORMAL_PATH header)
                    if(NOT header IN_LIST seen)
                        list(APPEND seen ${header})
                        list(APPEND pending ${header})
                        cmake_path(IS_PREFIX chapter_dir ${header} in_chapter)
                        if(in_chapter)
                            file(READ ${header} text)
                            string(APPEND key "${include}\n${text}")
                            set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${header})
                        endif()
                    endif()
                    break()
                endif()
            endforeach()
        endforeach()
    endwhile()
    set(${out} "${key}" PARENT_SCOPE)
endfunction()
