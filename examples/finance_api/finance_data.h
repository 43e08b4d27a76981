// The finance dataset: yearly figures of companies, looked up by business registration
// number. A JSON document (data/finance.json, compiled into the binary):
//
//   {"description": "...", "records": [{"bizNum": "0001234567", "corpName": "...",
//     "fiscalYear": 2023, "revenue": 1, "operatingIncome": 1, "netIncome": 1,
//     "totalAssets": 1, "totalLiabilities": 1, "totalEquity": 1, "currency": "KRW"}, ...]}
//
//   auto data = finance_api::FinanceData::parse(finance_api::embedded_dataset());
//   const boost::json::array& rows = data->records("0001234567");   // file order
//
// Parsing checks every record (fields, types, ten-digit bizNum), so a bad file stops the
// start rather than producing odd answers later.
#pragma once

#include <boost/json/array.hpp>
#include <expected>
#include <string>
#include <string_view>
#include <unordered_map>

namespace finance_api {

// data/finance.json as it was at build time.
std::string_view embedded_dataset();

// Exactly ten ASCII digits: the form of a Korean business registration number.
bool is_business_number(std::string_view text);

class FinanceData {
 public:
  // The error is one line: what is wrong, and in which record.
  static std::expected<FinanceData, std::string> parse(std::string_view json_text);

  // The records of `biz_num` in file order; empty for a number the dataset does not hold.
  const boost::json::array& records(std::string_view biz_num) const;
  std::size_t company_count() const { return by_business_number_.size(); }

 private:
  std::unordered_map<std::string, boost::json::array> by_business_number_;
};

}  // namespace finance_api
