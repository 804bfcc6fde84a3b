#include <Poco/Data/Session.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "support/Loopback.h"
#include "support/PostgresServer.h"

namespace dms::test {
namespace {

using namespace Poco::Data::Keywords;

TEST(PostgresServer, StartsAcceptsAQueryOnItsOwnDatabaseAndIsGoneAfterwards) {
  int port = 0;
  {
    PostgresServer server;
    port = server.port();
    EXPECT_TRUE(acceptsOnLoopback(port));
    const auto url = server.createDatabase();
    EXPECT_EQ(url.rfind("postgresql://postgres@127.0.0.1:" + std::to_string(port) + "/", 0), 0u)
        << url;
    const auto database = url.substr(url.rfind('/') + 1);
    Poco::Data::Session session("PostgreSQL", server.connectionString(database));
    std::string current;
    session << "SELECT current_database()", into(current), now;
    EXPECT_EQ(current, database);
    EXPECT_NE(server.createDatabase(), url) << "every database is new";
  }
  EXPECT_FALSE(acceptsOnLoopback(port)) << "the destructor stops the server";
}

}  // namespace
}  // namespace dms::test
