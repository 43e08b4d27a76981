#include "http/templates.h"

#include <fstream>
#include <sstream>

namespace tessera::http {

std::map<std::string, std::string, std::less<>> builtin_template_sources();  // generated

namespace {

// The lookup chain: innermost context first.
using Scope = std::vector<const TemplateContext*>;

const std::string* find_value(const Scope& scope, std::string_view name) {
  for (auto it = scope.rbegin(); it != scope.rend(); ++it) {
    if (auto v = (*it)->values.find(name); v != (*it)->values.end()) return &v->second;
  }
  return nullptr;
}

const std::vector<TemplateContext>* find_list(const Scope& scope, std::string_view name) {
  for (auto it = scope.rbegin(); it != scope.rend(); ++it) {
    if (auto l = (*it)->lists.find(name); l != (*it)->lists.end()) return &l->second;
  }
  return nullptr;
}

struct Renderer {
  std::string_view raw_name;
  std::string_view raw_value;

  // Renders text[pos...] until {{/closing}} (or the end when closing is empty), appending to
  // `out` when `emit`. Returns the position after the closing tag, or std::nullopt.
  std::optional<std::size_t> run(std::string_view text, std::size_t pos, std::string_view closing,
                                 Scope& scope, bool emit, std::string& out) const {
    while (true) {
      const std::size_t open = text.find("{{", pos);
      if (open == std::string_view::npos) {
        if (!closing.empty()) return std::nullopt;  // unclosed section
        if (emit) out.append(text.substr(pos));
        return text.size();
      }
      if (emit) out.append(text.substr(pos, open - pos));
      const bool triple = text.substr(open, 3) == "{{{";
      const std::size_t close = text.find(triple ? "}}}" : "}}", open);
      if (close == std::string_view::npos) return std::nullopt;
      std::string_view tag = text.substr(open + (triple ? 3 : 2), close - open - (triple ? 3 : 2));
      pos = close + (triple ? 3 : 2);
      if (triple) {
        if (raw_name.empty() || tag != raw_name) return std::nullopt;
        if (emit) out.append(raw_value);
        continue;
      }
      // A brace inside a tag is a mistake ("{{a{b}}", "{{{{x}}"), never a name.
      if (tag.empty() || tag.find_first_of("{}") != std::string_view::npos) return std::nullopt;
      const char kind = tag.front();
      // A section needs a name; a closing tag outside any section ends nothing.
      if ((kind == '/' || kind == '#' || kind == '^') && tag.size() == 1) return std::nullopt;
      if (kind == '/') {
        if (closing.empty() || tag.substr(1) != closing) return std::nullopt;
        return pos;
      }
      if (kind == '#' || kind == '^') {
        auto next = section(text, pos, tag.substr(1), kind == '^', scope, emit, out);
        if (!next) return std::nullopt;
        pos = *next;
        continue;
      }
      if (kind == '!') continue;  // a comment
      if (kind == '>' || kind == '&' || kind == '=' || kind == '{') return std::nullopt;
      if (emit) {
        if (const std::string* v = find_value(scope, tag)) out.append(html_escape(*v));
      }
    }
  }

  std::optional<std::size_t> section(std::string_view text, std::size_t pos, std::string_view name,
                                     bool inverted, Scope& scope, bool emit,
                                     std::string& out) const {
    const auto* list = find_list(scope, name);
    const std::string* value = find_value(scope, name);
    const bool truthy =
        (list != nullptr && !list->empty()) || (value != nullptr && !value->empty());
    if (inverted || list == nullptr || !emit) {
      return run(text, pos, name, scope, emit && (inverted ? !truthy : truthy), out);
    }
    std::optional<std::size_t> end = run(text, pos, name, scope, false, out);  // parse once
    if (!end) return std::nullopt;
    for (const TemplateContext& item : *list) {
      scope.push_back(&item);
      run(text, pos, name, scope, true, out);
      scope.pop_back();
    }
    return end;
  }
};

std::expected<std::shared_ptr<const Templates>, std::string> check(
    const std::map<std::string, std::string, std::less<>>& sources) {
  const TemplateContext empty;
  for (const std::string_view name : kPageNames) {
    auto it = sources.find(name);
    if (it == sources.end()) return std::unexpected(std::string(name) + ".html is missing");
    if (!render_template(it->second, empty)) {
      return std::unexpected(std::string(name) +
                             ".html does not parse (an unclosed tag or section?)");
    }
  }
  auto layout = sources.find("layout");
  if (layout == sources.end()) return std::unexpected("layout.html is missing");
  if (!render_template(layout->second, empty, "content", "")) {
    return std::unexpected("layout.html does not parse (an unclosed tag or section?)");
  }
  if (layout->second.find("{{{content}}}") == std::string::npos) {
    return std::unexpected("layout.html has no {{{content}}}");
  }
  return nullptr;
}

}  // namespace

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      case '`': out += "&#96;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

std::optional<std::string> render_template(std::string_view text, const TemplateContext& context,
                                           std::string_view raw_name, std::string_view raw_value) {
  Scope scope{&context};
  std::string out;
  const Renderer renderer{.raw_name = raw_name, .raw_value = raw_value};
  if (!renderer.run(text, 0, {}, scope, true, out)) return std::nullopt;
  return out;
}

std::expected<std::shared_ptr<const Templates>, std::string> Templates::from(
    std::map<std::string, std::string, std::less<>> sources) {
  if (auto bad = check(sources); !bad) return std::unexpected(bad.error());
  return std::shared_ptr<const Templates>(new Templates(std::move(sources)));
}

std::shared_ptr<const Templates> Templates::builtin() {
  static const std::shared_ptr<const Templates> templates = [] {
    auto loaded = from(builtin_template_sources());
    // The build checks the same templates in its tests; a failure here is a broken build.
    if (!loaded) std::abort();
    return *loaded;
  }();
  return templates;
}

std::expected<std::shared_ptr<const Templates>, std::string> Templates::load(
    const std::string& dir) {
  std::map<std::string, std::string, std::less<>> sources;
  std::vector<std::string_view> names(std::begin(kPageNames), std::end(kPageNames));
  names.push_back("layout");
  for (const std::string_view name : names) {
    const std::string path = dir + "/" + std::string(name) + ".html";
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::unexpected("cannot read " + path);
    std::ostringstream text;
    text << in.rdbuf();
    if (text.str().size() > 256 * 1024) return std::unexpected(path + " is over 256 KiB");
    sources.emplace(std::string(name), text.str());
  }
  auto loaded = from(std::move(sources));
  if (!loaded) return std::unexpected(dir + ": " + loaded.error());
  return loaded;
}

std::string Templates::render(std::string_view page, const TemplateContext& context) const {
  const auto body = render_template(sources_.find(page)->second, context);
  const auto html = render_template(sources_.find("layout")->second, context, "content",
                                    body.value_or(std::string()));
  return html.value_or(std::string());
}

}  // namespace tessera::http
