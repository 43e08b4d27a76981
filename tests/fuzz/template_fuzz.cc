// The sign-in pages' template renderer (http/templates.h) over untrusted template text, as a
// user's own TESSERA_TEMPLATES_DIR may hold anything, and untrusted values, as every value
// comes from a request.
//
// Input: the template text, a newline, then the value given to {{v}} and to each item of the
// list {{#l}}. Properties beyond "no crash": a value never reaches the output unescaped (a
// template without '<' renders none, whatever the value), and {{{raw}}} is refused.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_support.h"
#include "http/templates.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tessera::http;
  const std::string_view input = tessera::fuzz::text(data, size);
  const std::size_t cut = input.find('\n');
  const std::string_view text = input.substr(0, cut);
  const std::string_view value =
      cut == std::string_view::npos ? std::string_view() : input.substr(cut + 1);

  TemplateContext context;
  context.set("v", std::string(value));
  TemplateContext item;
  item.set("v", std::string(value)).set("w", "x");
  context.lists["l"] = {item, item};
  const auto html = render_template(text, context);
  if (html && text.find('<') == std::string_view::npos && html->find('<') != std::string::npos) {
    tessera::fuzz::fail("a value reached the page unescaped", input);
  }
  if (html && text.find("{{{") != std::string_view::npos) {
    tessera::fuzz::fail("a raw tag was rendered", input);
  }
  return 0;
}
