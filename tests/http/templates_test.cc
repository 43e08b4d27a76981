// The pages' templates (templates.h): escaping, sections, lists, the layout, and templates
// that do not parse refused when loaded, never at a request.
#include "http/templates.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace tessera::http {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TemplateContext values(std::initializer_list<std::pair<std::string, std::string>> pairs) {
  TemplateContext context;
  for (const auto& [name, value] : pairs) context.set(name, value);
  return context;
}

std::map<std::string, std::string, std::less<>> minimal_set() {
  std::map<std::string, std::string, std::less<>> sources;
  for (const std::string_view page : kPageNames) sources[std::string(page)] = "<p>{{title}}</p>";
  sources["layout"] = "<html>{{{content}}}</html>";
  return sources;
}

TEST(RenderTemplate, EscapesEveryValue) {
  const auto html =
      render_template("<p title=\"{{v}}\">{{v}}</p>", values({{"v", "<script>\"'&`</script>"}}));
  EXPECT_EQ(html,
            "<p title=\"&lt;script&gt;&quot;&#39;&amp;&#96;&lt;/script&gt;\">"
            "&lt;script&gt;&quot;&#39;&amp;&#96;&lt;/script&gt;</p>");
}

TEST(RenderTemplate, SectionsShowForValuesAndRepeatForLists) {
  TemplateContext context = values({{"error", "bad"}, {"name", "outer"}});
  context.lists["items"] = {values({{"name", "a"}}), values({{"name", "b"}}), values({})};
  EXPECT_EQ(render_template("{{#error}}E:{{error}}{{/error}}{{^error}}none{{/error}}", context),
            "E:bad");
  EXPECT_EQ(render_template("{{#missing}}x{{/missing}}{{^missing}}none{{/missing}}", context),
            "none");
  // An item without the name finds the one around it.
  EXPECT_EQ(render_template("{{#items}}[{{name}}]{{/items}}", context), "[a][b][outer]");
  EXPECT_EQ(render_template("{{! a comment }}ok", context), "ok");
}

TEST(RenderTemplate, RefusesWhatDoesNotParse) {
  for (const std::string_view text :
       {"{{#a}}unclosed", "{{#a}}x{{/b}}", "{{unclosed", "{{{raw}}}", "{{>partial}}", "{{}}",
        "{{/a}}", "[{{x {{{{y}}", "{{a{b}}", "{{/}}{{{x}}}", "{{#}}x{{/}}", "{{^}}{{/}}"}) {
    EXPECT_EQ(render_template(text, {}), std::nullopt) << text;
  }
}

TEST(Templates, RenderThePageInsideTheLayout) {
  auto templates = Templates::from(minimal_set());
  ASSERT_TRUE(templates.has_value()) << templates.error();
  EXPECT_EQ((*templates)->render("login", values({{"title", "<Hi>"}})),
            "<html><p>&lt;Hi&gt;</p></html>");
}

TEST(Templates, RefuseAMissingPageALayoutWithoutContentOrABrokenTemplate) {
  auto missing = minimal_set();
  missing.erase("consent");
  EXPECT_EQ(Templates::from(missing).error(), "consent.html is missing");
  auto no_content = minimal_set();
  no_content["layout"] = "<html></html>";
  EXPECT_EQ(Templates::from(no_content).error(), "layout.html has no {{{content}}}");
  auto broken = minimal_set();
  broken["error"] = "{{#message}}";
  EXPECT_THAT(Templates::from(broken).error(), HasSubstr("error.html does not parse"));
}

TEST(Templates, TheBuiltInPagesHaveTheirFormsLabelsAndViewport) {
  const auto templates = Templates::builtin();
  TemplateContext context = values({{"client_name", "<App>"}, {"action", "login"}});
  context.lists["hidden"] = {values({{"name", "state"}, {"value", "\"><script>"}})};
  const std::string login = templates->render("login", context);
  EXPECT_THAT(login, HasSubstr("name=\"viewport\""));
  EXPECT_THAT(login, HasSubstr("<form method=\"post\""));
  EXPECT_THAT(login, HasSubstr("<label for=\"username\">"));
  EXPECT_THAT(login, HasSubstr("type=\"password\" id=\"password\" name=\"password\""));
  EXPECT_THAT(login, HasSubstr("&lt;App&gt;"));
  EXPECT_THAT(login, HasSubstr("value=\"&quot;&gt;&lt;script&gt;\""));
  EXPECT_THAT(login, Not(HasSubstr("<script")));
  const std::string consent = templates->render("consent", context);
  EXPECT_THAT(consent, HasSubstr("name=\"decision\" value=\"allow\""));
  EXPECT_THAT(consent, HasSubstr("name=\"decision\" value=\"deny\""));
}

TEST(Templates, LoadsAFolderOfTheUsersOwn) {
  const auto dir = std::filesystem::temp_directory_path() / "tessera-templates-test";
  std::filesystem::create_directories(dir);
  for (const auto& [name, text] : minimal_set()) {
    std::ofstream(dir / (name + ".html")) << "<!-- mine -->" << text;
  }
  auto loaded = Templates::load(dir.string());
  ASSERT_TRUE(loaded.has_value()) << loaded.error();
  EXPECT_THAT((*loaded)->render("error", values({{"title", "T"}})), HasSubstr("<!-- mine -->"));
  std::filesystem::remove(dir / "logout.html");
  EXPECT_THAT(Templates::load(dir.string()).error(), HasSubstr("logout.html"));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace tessera::http
