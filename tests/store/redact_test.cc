// redact_database_url: what a database URL looks like in logs and error messages.
#include <gtest/gtest.h>

#include <string>

#include "store/postgres/postgres_store.h"

namespace tessera::store {
namespace {

TEST(RedactDatabaseUrl, HidesThePasswordOfTheUserInfo) {
  EXPECT_EQ(redact_database_url("postgresql://tessera:s3cret@db.example:5432/tessera"),
            "postgresql://tessera:***@db.example:5432/tessera");
  EXPECT_EQ(redact_database_url("postgres://u:p%40ss@db/x"), "postgres://u:***@db/x");
  // An unencoded '@' in the password: everything up to the last '@' of the authority goes.
  EXPECT_EQ(redact_database_url("postgresql://u:p@ss@db/x"), "postgresql://u:***@db/x");
  EXPECT_EQ(redact_database_url("postgresql://u@db/x"), "postgresql://u@db/x");
}

TEST(RedactDatabaseUrl, HidesPasswordParametersHoweverTheirNameIsWritten) {
  EXPECT_EQ(redact_database_url("postgresql://db/x?password=s3cret&sslmode=require"),
            "postgresql://db/x?password=***&sslmode=require");
  // libpq percent-decodes parameter names too (the audit's ?pass%77ord=).
  EXPECT_EQ(redact_database_url("postgresql://db/x?pass%77ord=s3cret"),
            "postgresql://db/x?pass%77ord=***");
  EXPECT_EQ(redact_database_url("postgresql://db/x?%70%61%73%73%77%6F%72%64=s3cret&a=b"),
            "postgresql://db/x?%70%61%73%73%77%6F%72%64=***&a=b");
  EXPECT_EQ(redact_database_url("postgresql://db/x?sslmode=require&sslpassword=keypass"),
            "postgresql://db/x?sslmode=require&sslpassword=***");
  EXPECT_EQ(redact_database_url("postgresql://u:a@db/x?password=b&password=c"),
            "postgresql://u:***@db/x?password=***&password=***");
}

TEST(RedactDatabaseUrl, LeavesEverythingElseAlone) {
  for (const char* url : {"postgresql://db/x?sslmode=require&application_name=tessera",
                          "postgresql://db/x", "data/tessera.db", "postgresql://[::1]:5432/x"}) {
    EXPECT_EQ(redact_database_url(url), url);
  }
}

TEST(RedactDatabaseUrl, HidesPasswordsOfAKeywordValueString) {
  EXPECT_EQ(redact_database_url("host=db password=s3cret user=x"), "host=db password=*** user=x");
  EXPECT_EQ(redact_database_url("host=db password = 's3 cret' user=x"),
            "host=db password = *** user=x");
  EXPECT_EQ(redact_database_url("host=db password='it\\'s' user=x"), "host=db password=*** user=x");
}

}  // namespace
}  // namespace tessera::store
