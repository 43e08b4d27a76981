// finance-api's endpoints, on Tessera's router:
//
//   GET /dart/finance/business/{bizNum}   scope finance:read; 200 {"newCompanyFinance":[...]}
//   GET /dart/finance/business/{bizNum}/ledger   the same company from the ledger service, asked
//                                         with an exchanged token (finance_onward.h); only
//                                         when FINANCE_ONWARD_URL is set
//   GET /healthz                          200 {"status":"ok","keys":N}; 503 before any keys
//   GET /.well-known/oauth-protected-resource   RFC 9728 metadata: the resource URL, Tessera
//                                         as its authorization server, finance:read; every 401
//                                         names it in WWW-Authenticate (resource_metadata)
//
//   http::Router router;
//   finance_api::register_routes(router, {.verifier = *verifier, .data = data,
//                                         .public_origin = origin});
//
// The finance route answers in this order: 401/403 from tessera::beast::authorize (RFC 6750),
// so a caller without a valid token learns nothing else; 400 invalid_request for a bizNum
// that is not ten digits; 500 server_error, logged, for a failed lookup, with a fixed body
// that says nothing about the cause; else the company's records ([] for an unknown number).
#pragma once

#include "finance_data.h"
#include "finance_onward.h"
#include "http/router.h"
#include "http/worker_pool.h"
#include "tessera/verify.h"

namespace finance_api {

inline constexpr std::string_view kFinanceScope = "finance:read";

struct Services {
  const tessera::Verifier& verifier;
  const FinanceData& data;
  // Every lookup fails (FINANCE_FAULT=1), so tests can reach the 500 path.
  bool fault = false;
  // The origin clients address this service by (FINANCE_PUBLIC_URL, or the address bound):
  // DPoP proofs name it. Set once listening, before the first request.
  const std::string& public_origin;
  // The onward call and the threads it blocks; null: no /ledger route.
  const Onward* onward = nullptr;
  tessera::http::WorkerPool* onward_pool = nullptr;
  // What GET /.well-known/oauth-protected-resource says (RFC 9728).
  tessera::ResourceMetadata metadata = {};
  // Its URL, filled in by register_routes.
  std::string metadata_url = {};
};

void register_routes(tessera::http::Router& router, const Services& services);

}  // namespace finance_api
