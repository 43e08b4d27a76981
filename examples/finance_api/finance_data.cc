#include "finance_data.h"

#include <array>
#include <boost/json/object.hpp>

#include "core/strict_json.h"

namespace finance_api {

namespace json = boost::json;

namespace {

constexpr std::array<std::string_view, 6> kAmounts = {
    "revenue", "operatingIncome", "netIncome", "totalAssets", "totalLiabilities", "totalEquity"};
// bizNum, corpName, fiscalYear, currency and the amounts.
constexpr std::size_t kFieldCount = 4 + kAmounts.size();

std::expected<void, std::string> check_record(const json::object& record) {
  const auto string_field = [&](std::string_view name) -> const json::string* {
    const json::value* v = record.if_contains(name);
    return v ? v->if_string() : nullptr;
  };
  const json::string* biz_num = string_field("bizNum");
  if (biz_num == nullptr || !is_business_number(*biz_num)) {
    return std::unexpected("bizNum must be a string of ten digits");
  }
  const json::string* name = string_field("corpName");
  if (name == nullptr || name->empty())
    return std::unexpected("corpName must be a non-empty string");
  const json::value* year = record.if_contains("fiscalYear");
  if (year == nullptr || !year->is_int64()) return std::unexpected("fiscalYear must be an integer");
  for (const std::string_view amount : kAmounts) {
    const json::value* v = record.if_contains(amount);
    if (v == nullptr || !v->is_int64()) {
      return std::unexpected(std::string(amount) + " must be an integer");
    }
  }
  const json::string* currency = string_field("currency");
  if (currency == nullptr || *currency != "KRW") return std::unexpected("currency must be \"KRW\"");
  if (record.size() != kFieldCount) return std::unexpected("has fields other than the ten known");
  return {};
}

}  // namespace

bool is_business_number(std::string_view text) {
  if (text.size() != 10) return false;
  for (const char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

std::expected<FinanceData, std::string> FinanceData::parse(std::string_view json_text) {
  auto document = tessera::core::parse_strict_json(
      json_text, {.max_size = 16 * 1024 * 1024, .max_depth = 4, .max_object_keys = 16});
  if (!document) {
    return std::unexpected("not valid JSON (" +
                           std::string(tessera::core::to_string(document.error())) + ")");
  }
  const json::object* top = document->if_object();
  const json::value* records = top ? top->if_contains("records") : nullptr;
  if (records == nullptr || !records->is_array()) {
    return std::unexpected("expected an object with a \"records\" array");
  }
  FinanceData data;
  std::size_t index = 0;
  for (const json::value& value : records->get_array()) {
    const json::object* record = value.if_object();
    if (record == nullptr)
      return std::unexpected("records[" + std::to_string(index) + "] is not an object");
    if (auto checked = check_record(*record); !checked) {
      return std::unexpected("records[" + std::to_string(index) + "]: " + checked.error());
    }
    const std::string biz_num(record->at("bizNum").get_string());
    data.by_business_number_[biz_num].push_back(value);
    ++index;
  }
  return data;
}

const json::array& FinanceData::records(std::string_view biz_num) const {
  static const json::array kNone;
  const auto it = by_business_number_.find(std::string(biz_num));
  return it == by_business_number_.end() ? kNone : it->second;
}

}  // namespace finance_api
