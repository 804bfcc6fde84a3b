#include "filing/FilingConfig.h"

#include <algorithm>
#include <functional>

#include "dms/DocumentTarget.h"
#include "filing/SafeName.h"

namespace ambita::filing {
namespace {

using dms::OptionType;

std::string quoted(const std::string& s) {
  return "\"" + s + "\"";
}

}  // namespace

std::vector<dms::ConfigOption> filingConfigOptions() {
  return {
      {"filing.folderTemplate", OptionType::String, quoted(kDefaultFolderTemplate), false, false,
       "Folder of each file, '/'-separated, with placeholders ({reference}, {orderId}, "
       "{address}, {categoryFolder}, ...; {a|b} = a, else b). Empty values are dropped cleanly."},
      {"filing.fileNameTemplate", OptionType::String, quoted(kDefaultFileNameTemplate), false,
       false,
       "File name of each file, with placeholders ({filename}, {name}, {assetId}, {ext}, ...)."},
      {"filing.categories", OptionType::StringMap, "{}", false, false,
       "Product category → folder name, overriding the Norwegian defaults."},
      {"filing.documentTypes", OptionType::StringMap, "{}", false, false,
       "Product category → document type (metadata ambita.documentType)."},
      {"filing.defaultCategoryFolder", OptionType::String, "\"Andre dokumenter\"", false, false,
       "Folder for unknown or empty categories."},
      {"filing.defaultDocumentType", OptionType::String, "\"Annet\"", false, false,
       "Document type for unknown or empty categories."},
      {"filing.withdrawnPolicy", OptionType::String, "\"delete\"", false, false,
       "What happens to a filed file that Ambita withdraws (asset DELETED, order CANCELLED or "
       "REFUNDED): \"delete\" or \"move\" (to filing.withdrawnFolder)."},
      {"filing.withdrawnFolder", OptionType::String, "\"Trukket tilbake\"", false, false,
       "Folder (relative to the target root) withdrawn files are moved to, keeping their path."},
      {"filing.concurrency", OptionType::Integer, "4", false, false,
       "Downloads in flight at once (1-64)."},
      {"filing.maxNameBytes", OptionType::Integer, "180", false, false,
       "Longest folder or file name in bytes (40-240); longer names are cut, keeping the "
       "extension."},
      {"filing.maxAttempts", OptionType::Integer, "10", false, false,
       "Failed attempts to file one asset before it is given up (1-1000; audited and shown in "
       "status; `sync --order ID` tries it again)."},
      {"filing.retryMaxMinutes", OptionType::Integer, "60", false, false,
       "Longest wait of the service between two attempts to file one asset (1-1440 minutes; "
       "the first retry comes after 1 minute, then the wait doubles; an administrator's sync "
       "retries at once)."},
      {"push.path", OptionType::String, "\"/ambita/push\"", false, false,
       "Path of the push route on the host's http.listen."},
      {"push.secret", OptionType::String, "", false, true,
       "Optional shared secret: push requests must carry ?token=<secret> (put it in the callback "
       "URL registered with Ambita)."},
      {"push.maxBytes", OptionType::Integer, "65536", false, false,
       "Largest push body accepted (bytes)."},
      {"push.maxQueuedOrders", OptionType::Integer, "10000", false, false,
       "Most distinct orders waiting in the push inbox (10-1000000); a push for another order "
       "is answered 503 while it is full (repeated pushes of one order take one place)."},
      {"push.retryDays", OptionType::Integer, "7", false, false,
       "How long an order whose GET keeps failing (Ambita down, credentials expired, unknown "
       "order) is retried before it is given up and audited (1-365 days)."},
      {"push.retryMaxMinutes", OptionType::Integer, "60", false, false,
       "Longest wait between two attempts of one order (1-1440 minutes; the first retry comes "
       "after 15 s, then the wait doubles)."},
      {"poll.intervalMinutes", OptionType::Integer, "10", false, false,
       "How often tracked orders are checked (minutes)."},
      {"poll.finishedDays", OptionType::Integer, "14", false, false,
       "Finished orders are still checked for this many days (files arrive after FINISHED)."},
      {"poll.workers", OptionType::Integer, "4", false, false,
       "Orders reconciled at once (1-16): by the service's workers and by `sync`."},
      // document events (issue 10)
      {"events.maxPending", OptionType::Integer, "100000", false, false,
       "Most document events kept while the host does not take them (100-10000000); beyond "
       "it the oldest are dropped with a warning."},
      {"events.retryMaxSeconds", OptionType::Integer, "300", false, false,
       "Longest wait before an event the host refused is offered again (1-86400 s; the first "
       "retry after 1 s, then the wait doubles)."},
  };
}

namespace {

/// filing.withdrawnFolder made safe segment by segment; "" when it names no folder.
dms::Result<std::string> safeRelativeFolder(const dms::config::OptionReader& options,
                                            const std::string& key) {
  const std::string folder = options.string(key);
  std::string clean;
  std::size_t from = 0;
  while (from <= folder.size()) {
    const auto slash = folder.find('/', from);
    const std::string seg =
        folder.substr(from, slash == std::string::npos ? std::string::npos : slash - from);
    if (!seg.empty()) {
      if (seg == "." || seg == "..")
        return options.invalid(key, "must stay inside the target root (no '.' or '..')");
      clean += (clean.empty() ? "" : "/") + SafeName::segment(seg);
    }
    if (slash == std::string::npos) break;
    from = slash + 1;
  }
  return clean;
}

/// Applies a category → text map; an empty text is refused naming its entry.
dms::Status readCategoryMap(
    const dms::config::OptionReader& options, const std::string& key,
    const std::function<void(const std::string&, const std::string&)>& apply) {
  for (const auto& [category, text] : options.stringMap(key)) {
    if (text.empty()) return options.invalid(key + "." + category, "must not be empty");
    apply(category, text);
  }
  return {};
}

}  // namespace

dms::Result<FilingConfig> parseFilingConfig(const dms::config::OptionReader& options) {
  FilingConfig config;
  auto folderTemplate = PathTemplate::parse(options.string("filing.folderTemplate"),
                                            options.path("filing.folderTemplate"));
  if (!folderTemplate) return folderTemplate.error();
  config.folderTemplate = *folderTemplate;

  const std::string file = options.string("filing.fileNameTemplate");
  if (file.find('/') != std::string::npos)
    return options.invalid("filing.fileNameTemplate",
                           "must not contain '/' (folders belong in filing.folderTemplate)");
  auto fileTemplate = PathTemplate::parse(file, options.path("filing.fileNameTemplate"));
  if (!fileTemplate) return fileTemplate.error();
  config.fileNameTemplate = *fileTemplate;

  const std::string defaultFolder = options.string("filing.defaultCategoryFolder");
  if (defaultFolder.empty())
    return options.invalid("filing.defaultCategoryFolder", "must not be empty");
  config.categories.setDefault({defaultFolder, options.string("filing.defaultDocumentType")});
  if (auto s = readCategoryMap(
          options, "filing.categories",
          [&](const std::string& c, const std::string& f) { config.categories.setFolder(c, f); });
      !s)
    return s.error();
  if (auto s = readCategoryMap(options, "filing.documentTypes",
                               [&](const std::string& c, const std::string& t) {
                                 config.categories.setDocumentType(c, t);
                               });
      !s)
    return s.error();

  const std::string policy = options.string("filing.withdrawnPolicy");
  if (policy == "delete")
    config.withdrawnPolicy = WithdrawnPolicy::Delete;
  else if (policy == "move")
    config.withdrawnPolicy = WithdrawnPolicy::Move;
  else
    return options.invalid("filing.withdrawnPolicy",
                           "expected \"delete\" or \"move\", got \"" + policy + "\"");
  auto withdrawn = safeRelativeFolder(options, "filing.withdrawnFolder");
  if (!withdrawn) return withdrawn.error();
  if (config.withdrawnPolicy == WithdrawnPolicy::Move && withdrawn->empty())
    return options.invalid("filing.withdrawnFolder",
                           "must name a folder when filing.withdrawnPolicy is \"move\"");
  config.withdrawnFolder = *withdrawn;
  // Filed no deeper than the tree walks (recover, verify) look.
  const std::size_t withdrawnLevels =
      config.withdrawnPolicy == WithdrawnPolicy::Move
          ? 1 + std::count(config.withdrawnFolder.begin(), config.withdrawnFolder.end(), '/')
          : 0;
  if (config.folderTemplate.maxSegments() + withdrawnLevels > dms::kMaxFolderDepth)
    return options.invalid(
        "filing.folderTemplate",
        "has " + std::to_string(config.folderTemplate.maxSegments()) + " folder levels" +
            (withdrawnLevels ? " and filing.withdrawnFolder " + std::to_string(withdrawnLevels)
                             : std::string()) +
            "; at most " + std::to_string(dms::kMaxFolderDepth) + " in all");

  const std::string pushPath = options.string("push.path");
  if (pushPath.empty() || pushPath.front() != '/' || pushPath.find('?') != std::string::npos)
    return options.invalid(
        "push.path",
        "expected an absolute path such as \"/ambita/push\", got \"" + pushPath + "\"");
  config.pushPath = pushPath;
  config.pushSecret = options.string("push.secret");  // errors name the key, never the value

  // The ranges; the defaults and types come from filingConfigOptions().
  struct Bounded {
    const char* key;
    long long min, max;
    std::function<void(long long)> apply;
  };
  const Bounded bounded[] = {
      {"filing.concurrency", 1, 64, [&](long long n) { config.concurrency = n; }},
      {"filing.maxNameBytes", 40, 240, [&](long long n) { config.maxNameBytes = n; }},
      {"filing.maxAttempts", 1, 1000, [&](long long n) { config.assetMaxAttempts = n; }},
      {"filing.retryMaxMinutes", 1, 1440, [&](long long n) { config.assetRetryMaxMinutes = n; }},
      {"push.maxBytes", 256, 1024 * 1024, [&](long long n) { config.pushMaxBytes = n; }},
      {"push.maxQueuedOrders", 10, 1000000, [&](long long n) { config.pushMaxQueuedOrders = n; }},
      {"push.retryDays", 1, 365, [&](long long n) { config.pushRetryDays = n; }},
      {"push.retryMaxMinutes", 1, 1440, [&](long long n) { config.pushRetryMaxMinutes = n; }},
      {"poll.intervalMinutes", 1, 7 * 24 * 60,
       [&](long long n) { config.pollIntervalMinutes = n; }},
      {"poll.finishedDays", 0, 365, [&](long long n) { config.pollFinishedDays = n; }},
      {"poll.workers", 1, 16, [&](long long n) { config.pollWorkers = n; }},
      {"events.maxPending", 100, 10000000, [&](long long n) { config.eventsMaxPending = n; }},
      {"events.retryMaxSeconds", 1, 86400, [&](long long n) { config.eventsRetryMaxSeconds = n; }},
  };
  for (const auto& [key, min, max, apply] : bounded) {
    auto value = options.integerIn(key, min, max);
    if (!value) return value.error();
    apply(*value);
  }
  return config;
}

}  // namespace ambita::filing
