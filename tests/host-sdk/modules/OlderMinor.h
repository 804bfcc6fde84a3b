#pragma once
// The interface version the "...old" test modules declare (built with DMS_TEST_OLDER_MINOR):
// this SDK's previous minor, i.e. modules from before the newest methods existed.
#include "dms/ModuleInfo.h"

static_assert(dms::kInterfaceVersion.minor > 0, "no older minor of this major to test with");
inline constexpr dms::InterfaceVersion kOlderMinorForTest{
    dms::kInterfaceVersion.major, static_cast<std::uint16_t>(dms::kInterfaceVersion.minor - 1)};
