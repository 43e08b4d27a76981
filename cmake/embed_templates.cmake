# cmake -DINPUT_DIR=templates -DOUTPUT=embedded_templates.cc -P embed_templates.cmake
# Writes every INPUT_DIR/*.html behind tessera::http::builtin_template_sources(), as arrays of
# character literals (any byte is safe, no length limit), keyed by the name without .html.
file(GLOB pages "${INPUT_DIR}/*.html")
list(SORT pages)
set(arrays "")
set(entries "")
set(index 0)
foreach(page IN LISTS pages)
  get_filename_component(name "${page}" NAME_WE)
  file(READ "${page}" hex HEX)
  string(LENGTH "${hex}" hex_length)
  math(EXPR byte_count "${hex_length} / 2")
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "'\\\\x\\1'," bytes "${hex}")
  string(APPEND arrays "constexpr char kPage${index}[${byte_count}] = {${bytes}};\n")
  string(APPEND entries "      {\"${name}\", std::string(kPage${index}, sizeof kPage${index})},\n")
  math(EXPR index "${index} + 1")
endforeach()
file(WRITE "${OUTPUT}.tmp" "// Generated from ${INPUT_DIR} by embed_templates.cmake: do not edit.
#include <functional>
#include <map>
#include <string>

namespace tessera::http {
namespace {

${arrays}
}  // namespace

std::map<std::string, std::string, std::less<>> builtin_template_sources() {
  return {
${entries}  };
}

}  // namespace tessera::http
")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")
