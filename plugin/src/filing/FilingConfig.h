#pragma once
/// The engine's part of the "ambita" configuration section: mapping (filing.*), push
/// reception (push.*) and polling (poll.*). filingConfigOptions() declares the keys, their
/// types and defaults (the factory's schema, `config check`, the README table);
/// parseFilingConfig() reads them through that schema and reports the first problem by its
/// full key path.

#include <cstddef>
#include <string>
#include <vector>

#include "dms/ConfigSchema.h"
#include "dms/Error.h"
#include "dms/config/OptionReader.h"
#include "filing/CategoryMap.h"
#include "filing/PathTemplate.h"

namespace ambita::filing {

enum class WithdrawnPolicy { Delete, Move };

struct FilingConfig {
  PathTemplate folderTemplate;
  PathTemplate fileNameTemplate;
  CategoryMap categories;
  WithdrawnPolicy withdrawnPolicy = WithdrawnPolicy::Delete;
  std::string withdrawnFolder = "Trukket tilbake";  ///< safe relative path, for Move
  std::size_t concurrency = 4;                      ///< downloads in flight
  std::size_t maxNameBytes = 180;                   ///< per path segment
  int assetMaxAttempts = 10;      ///< failed filings of one asset before it is given up
  int assetRetryMaxMinutes = 60;  ///< longest wait between two attempts of one asset
  std::string pushPath = "/ambita/push";
  std::string pushSecret;  ///< empty: no token required
  std::size_t pushMaxBytes = 64 * 1024;
  std::size_t pushMaxQueuedOrders = 10000;  ///< distinct orders the push inbox holds
  int pushRetryDays = 7;         ///< an order whose GET keeps failing is retried this long
  int pushRetryMaxMinutes = 60;  ///< longest wait between two attempts of one order
  int pollIntervalMinutes = 10;
  int pollFinishedDays = 14;
  std::size_t pollWorkers = 4;  ///< orders reconciled in parallel by the service and by sync
  // document events (issue 10)
  std::size_t eventsMaxPending = 100000;  ///< events kept undelivered before the oldest go
  int eventsRetryMaxSeconds = 300;        ///< longest wait before offering an event again
};

/// Default templates (also the defaults in the schema).
inline constexpr const char* kDefaultFolderTemplate =
    "{reference|technicalReference}/{orderId} {address}/{categoryFolder}";
inline constexpr const char* kDefaultFileNameTemplate = "{filename|name|assetId}";

/// The keys read by parseFilingConfig, relative to the "ambita" section.
std::vector<dms::ConfigOption> filingConfigOptions();

/// Reads the keys of filingConfigOptions() through a reader of the plugin's section (whose
/// schema declares them: types and defaults come from there, ranges and rules from here).
/// Errors: InvalidArgument naming the key path, e.g.
/// "ambita.filing.concurrency: expected an integer between 1 and 64, got 0".
dms::Result<FilingConfig> parseFilingConfig(const dms::config::OptionReader& options);

}  // namespace ambita::filing
