# Packaging.cmake — install extras and release packaging, included from the
# top-level CMakeLists.txt after the targets exist:
#   * lle.pc (pkg-config; generated from lle.pc.in, relocatable via ${pcfiledir})
#   * bash completion (scripts/completion/llm-efficiency.bash)
#   * docs (NOTICE, LICENSE, CHANGELOG, README) into share/doc/llm-efficiency
#   * a Debian package through CPack (target `deb`; `make deb` in the Makefile)
#   * HTML C API reference through Doxygen when installed (target `docs`)

# ---- pkg-config ---------------------------------------------------------------
set(LLE_PC_DIR "${CMAKE_INSTALL_LIBDIR}/pkgconfig")
file(RELATIVE_PATH LLE_PC_REL_PREFIX "/prefix/${LLE_PC_DIR}" "/prefix")
string(REGEX REPLACE "/$" "" LLE_PC_REL_PREFIX "${LLE_PC_REL_PREFIX}")
configure_file("${CMAKE_SOURCE_DIR}/lle.pc.in" "${CMAKE_BINARY_DIR}/lle.pc" @ONLY)
install(FILES "${CMAKE_BINARY_DIR}/lle.pc" DESTINATION "${LLE_PC_DIR}")

# ---- bash completion and documents ---------------------------------------------------
install(FILES scripts/completion/llm-efficiency.bash
        DESTINATION "${CMAKE_INSTALL_DATADIR}/bash-completion/completions" RENAME llm-efficiency)
install(FILES LICENSE NOTICE CHANGELOG.md README.md DESTINATION "${CMAKE_INSTALL_DATADIR}/doc/llm-efficiency" OPTIONAL)

# ---- Debian package (CPack) -------------------------------------------------------------
set(CPACK_GENERATOR "DEB")
set(CPACK_PACKAGE_NAME "llm-efficiency")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_VENDOR "the llm-efficiency authors")
set(CPACK_PACKAGE_CONTACT "the llm-efficiency authors <llm-efficiency@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "measure the energy, speed and cost of LLM inference")
set(CPACK_PACKAGE_DESCRIPTION "llm-efficiency runs GGUF models in-process through llama.cpp and reports
 latency, throughput, memory, FLOPs and energy (measured or labelled estimates)
 per run, with campaigns, a results database and offline HTML reports.
 Includes liblle (C library, headers, pkg-config file lle.pc).")
set(CPACK_PACKAGING_INSTALL_PREFIX "/usr")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION "science")
set(CPACK_DEBIAN_PACKAGE_PRIORITY "optional")
# dpkg-shlibdeps resolves the Debian runtime libraries (libcjson1, libsqlite3-0,
# libyaml-0-2, libcurl4, libc6); the bundled llama.cpp libraries in
# lib/llm-efficiency are found through the package's own rpath. The explicit list is
# the floor when dpkg-shlibdeps is unavailable.
find_program(LLE_DPKG_SHLIBDEPS dpkg-shlibdeps)
if(LLE_DPKG_SHLIBDEPS)
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS_PRIVATE_DIRS "${LLE_LLAMA_LIB_DIR}")
else()
  set(CPACK_DEBIAN_PACKAGE_DEPENDS "libc6, libcjson1, libsqlite3-0, libyaml-0-2, libcurl4")
endif()
# The package needs only the installed targets, not every test and fuzz target:
# `deb` depends on those itself, so CPack's preinstall step builds nothing more.
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY TRUE)
include(CPack)
add_custom_target(deb
  COMMAND "${CMAKE_CPACK_COMMAND}" -G DEB --config "${CMAKE_BINARY_DIR}/CPackConfig.cmake"
  WORKING_DIRECTORY "${CMAKE_BINARY_DIR}"
  DEPENDS llm-efficiency lle
  COMMENT "Building the Debian package llm-efficiency_${PROJECT_VERSION}_*.deb"
  VERBATIM)

# ---- C API reference (Doxygen) ----------------------------------------------------------
find_package(Doxygen QUIET)
if(DOXYGEN_FOUND)
  set(DOXYGEN_PROJECT_NAME "liblle")
  set(DOXYGEN_PROJECT_NUMBER "${PROJECT_VERSION}")
  set(DOXYGEN_OUTPUT_DIRECTORY "${CMAKE_BINARY_DIR}/docs")
  set(DOXYGEN_GENERATE_LATEX NO)
  set(DOXYGEN_EXTRACT_ALL YES)
  set(DOXYGEN_OPTIMIZE_OUTPUT_FOR_C YES)
  set(DOXYGEN_JAVADOC_AUTOBRIEF YES)
  set(DOXYGEN_WARN_IF_UNDOCUMENTED NO)
  set(DOXYGEN_QUIET YES)
  set(DOXYGEN_WARNINGS NO)
  set(DOXYGEN_PREDEFINED "LLE_API=")
  set(DOXYGEN_USE_MDFILE_AS_MAINPAGE "${CMAKE_SOURCE_DIR}/docs/api.md")
  doxygen_add_docs(docs "${CMAKE_SOURCE_DIR}/include/lle" "${CMAKE_SOURCE_DIR}/docs/api.md"
                   COMMENT "C API reference (HTML) into ${CMAKE_BINARY_DIR}/docs/html")
else()
  add_custom_target(docs
    COMMAND "${CMAKE_COMMAND}" -E echo "doxygen not found: apt-get install doxygen (scripts/deps.sh lists it)"
    COMMAND "${CMAKE_COMMAND}" -E false
    VERBATIM)
endif()
