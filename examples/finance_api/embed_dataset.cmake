# cmake -DINPUT=data.json -DOUTPUT=embedded_dataset.cc -P embed_dataset.cmake
# Writes the bytes of INPUT as a char array behind finance_api::embedded_dataset(). An array
# of character literals, not a string literal: any byte is safe and there is no length limit.
file(READ "${INPUT}" hex HEX)
string(LENGTH "${hex}" hex_length)
if(hex_length EQUAL 0)
  message(FATAL_ERROR "${INPUT} is empty")
endif()
math(EXPR byte_count "${hex_length} / 2")
# Sixteen bytes a line, each written '\xNN',.
set(bytes "")
set(offset 0)
while(offset LESS hex_length)
  string(SUBSTRING "${hex}" ${offset} 32 chunk)
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "'\\\\x\\1'," chunk "${chunk}")
  string(APPEND bytes "\n    ${chunk}")
  math(EXPR offset "${offset} + 32")
endwhile()
file(WRITE "${OUTPUT}.tmp" "// Generated from ${INPUT} by embed_dataset.cmake: do not edit.
#include <string_view>

#include \"finance_data.h\"

namespace finance_api {
namespace {

constexpr char kDataset[${byte_count}] = {${bytes}
};

}  // namespace

std::string_view embedded_dataset() { return {kDataset, sizeof kDataset}; }

}  // namespace finance_api
")
# Replaced only when changed, so an unchanged dataset rebuilds nothing.
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")
