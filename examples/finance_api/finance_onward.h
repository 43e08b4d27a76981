// finance-api's onward call (RFC 8693 token exchange): GET /dart/finance/business/{bizNum}/ledger
// reads the same company from another service (the ledger) on the caller's behalf. The
// caller's token is for this API only (its "aud"); forwarding it would fail at the ledger, and
// using this API's own client credentials would lose who the user is. So finance-api, as a
// Tessera client with the token-exchange grant, exchanges the caller's token for one whose
// "aud" is the ledger, with finance:read only and "act": {"sub": "finance-api"}, and calls the
// ledger with that.
//
//   Onward onward(config);                                    // FINANCE_ONWARD_* settings
//   Response res = onward.company(subject_token, "0001234567");   // blocking
//
// Answers: the ledger's status and JSON body as they are; 401 invalid_token when Tessera
// refuses the exchange because the caller's token is no longer good (revoked, expired:
// invalid_grant); 502 bad_gateway, logged, when Tessera or the ledger cannot be reached or
// refuses for another reason.
#pragma once

#include <string>
#include <string_view>

#include "http/message.h"

namespace finance_api {

struct OnwardConfig {
  std::string ledger_url;      // FINANCE_ONWARD_URL, without a trailing slash
  std::string audience;        // FINANCE_ONWARD_AUDIENCE: the ledger's "aud"
  std::string token_endpoint;  // FINANCE_ISSUER + "/token"
  std::string client_id;       // FINANCE_CLIENT_ID
  std::string client_secret;   // read from FINANCE_CLIENT_SECRET_FILE
};

class Onward {
 public:
  explicit Onward(OnwardConfig config) : config_(std::move(config)) {}

  // The ledger's answer for `biz_num` (already checked: ten digits), asked with a token
  // exchanged for `subject_token`. Blocking: two HTTP requests.
  tessera::http::Response company(std::string_view subject_token, std::string_view biz_num) const;

 private:
  OnwardConfig config_;
};

}  // namespace finance_api
