#include "FaultChecks.h"

#include <gtest/gtest.h>

#include "ExpectedArchive.h"

namespace dms::faults {

void expectExactAfterSync(e2e::E2eWorld& world, std::int64_t order) {
  auto sync = world.host({"sync"});
  EXPECT_EQ(sync.exitCode, 0) << sync.out << sync.err;
  auto problems = e2e::archiveDifferences(world.archive(), world.sandbox(), {order});
  EXPECT_TRUE(problems.empty()) << e2e::describe(problems) << "\n" << sync.err;
  auto verify = world.host({"verify"});
  EXPECT_EQ(verify.exitCode, 0) << verify.out << verify.err;
  EXPECT_EQ(world.leakedSecret(sync.out + sync.err + verify.out + verify.err), "");
}

}  // namespace dms::faults
