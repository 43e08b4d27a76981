// The sign-in pages' HTML, from templates kept in the repository's templates/ folder: built
// into the binary, or read at start from a folder of the user's own (TESSERA_TEMPLATES_DIR) to
// brand the pages. A small subset of Mustache:
//
//   {{name}}              the value, HTML-escaped (& < > " ' and `)
//   {{#name}}...{{/name}} the block once per item of a list, or once if the value is not empty
//   {{^name}}...{{/name}} the block if the value is empty or absent
//   {{{content}}}         only in layout.html: the page, already rendered
//
// Nothing else: no partials, no lambdas, no raw values. A template that does not parse is
// refused when the server starts, never at the first request.
//
//   auto templates = Templates::load(dir);            // or Templates::builtin()
//   std::string html = templates->render("login", context);
#pragma once

#include <expected>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::http {

// What a template may name: text values and lists of nested contexts. A name not found in an
// item of a list is looked up in the context around it.
struct TemplateContext {
  std::map<std::string, std::string, std::less<>> values;
  std::map<std::string, std::vector<TemplateContext>, std::less<>> lists;

  TemplateContext& set(std::string name, std::string value) {
    values[std::move(name)] = std::move(value);
    return *this;
  }
};

// The pages every template set must have, besides layout.
inline constexpr std::string_view kPageNames[] = {"login",      "consent", "error",      "logout",
                                                  "signed_out", "device",  "device_done"};

std::string html_escape(std::string_view text);

class Templates {
 public:
  // The templates compiled in from the repository's templates/ folder.
  static std::shared_ptr<const Templates> builtin();
  // layout.html and every page of kPageNames from `dir`; an error names the file and the fault.
  static std::expected<std::shared_ptr<const Templates>, std::string> load(const std::string& dir);
  // From name -> text, checked the same way (for tests and the fuzzer).
  static std::expected<std::shared_ptr<const Templates>, std::string> from(
      std::map<std::string, std::string, std::less<>> sources);

  // The page inside the layout. `page` must be one of kPageNames.
  std::string render(std::string_view page, const TemplateContext& context) const;

 private:
  explicit Templates(std::map<std::string, std::string, std::less<>> sources)
      : sources_(std::move(sources)) {}
  std::map<std::string, std::string, std::less<>> sources_;
};

// Renders one template text (exposed for tests and the fuzzer). std::nullopt when it does not
// parse: an unclosed tag or section, a section closed by another name, or {{{ }}} anywhere
// but where `raw` names it.
std::optional<std::string> render_template(std::string_view text, const TemplateContext& context,
                                           std::string_view raw_name = {},
                                           std::string_view raw_value = {});

}  // namespace tessera::http
