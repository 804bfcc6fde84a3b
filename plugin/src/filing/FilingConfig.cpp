#include "filing/FilingConfig.h"

#include <Poco/JSON/Array.h>

#include <functional>

#include "filing/SafeName.h"

namespace ambita::filing {
namespace {

using dms::ErrorCode;
using dms::OptionType;

dms::Error bad(const std::string& key, const std::string& what) {
  return dms::fail(ErrorCode::InvalidArgument, "ambita." + key + ": " + what);
}

/// The value at a dotted key inside nested objects; empty Var when absent.
Poco::Dynamic::Var find(const Poco::JSON::Object& section, const std::string& key) {
  const auto dot = key.find('.');
  if (dot == std::string::npos) return section.has(key) ? section.get(key) : Poco::Dynamic::Var();
  auto child = section.getObject(key.substr(0, dot));
  if (!child) return {};
  return find(*child, key.substr(dot + 1));
}

dms::Result<std::string> readString(const Poco::JSON::Object& s, const std::string& key,
                                    const std::string& fallback) {
  auto v = find(s, key);
  if (v.isEmpty()) return fallback;
  if (!v.isString()) return bad(key, "expected a string");
  return v.extract<std::string>();
}

dms::Result<long> readInt(const Poco::JSON::Object& s, const std::string& key, long fallback,
                          long min, long max) {
  auto v = find(s, key);
  if (v.isEmpty()) return fallback;
  long n = 0;
  if (!v.isInteger())
    return bad(
        key, "expected an integer between " + std::to_string(min) + " and " + std::to_string(max));
  n = v.convert<long>();
  if (n < min || n > max)
    return bad(key, "expected an integer between " + std::to_string(min) + " and " +
                        std::to_string(max) + ", got " + std::to_string(n));
  return n;
}

dms::Status readMap(const Poco::JSON::Object& s, const std::string& key,
                    const std::function<void(const std::string&, const std::string&)>& apply) {
  auto v = find(s, key);
  if (v.isEmpty()) return {};
  Poco::JSON::Object::Ptr object;
  try {
    object = v.extract<Poco::JSON::Object::Ptr>();
  } catch (const Poco::Exception&) {
    return bad(key, "expected an object of category → text");
  }
  for (const auto& [name, value] : *object) {
    if (!value.isString()) return bad(key + "." + name, "expected a string");
    const auto text = value.extract<std::string>();
    if (text.empty()) return bad(key + "." + name, "must not be empty");
    apply(name, text);
  }
  return {};
}

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
      {"poll.workers", OptionType::Integer, "2", false, false,
       "Orders reconciled in parallel by the service (1-16)."},
  };
}

dms::Result<FilingConfig> parseFilingConfig(const Poco::JSON::Object& section) {
  try {
    FilingConfig config;
    auto folder = readString(section, "filing.folderTemplate", kDefaultFolderTemplate);
    if (!folder) return folder.error();
    auto folderTemplate = PathTemplate::parse(*folder, "ambita.filing.folderTemplate");
    if (!folderTemplate) return folderTemplate.error();
    config.folderTemplate = *folderTemplate;

    auto file = readString(section, "filing.fileNameTemplate", kDefaultFileNameTemplate);
    if (!file) return file.error();
    if (file->find('/') != std::string::npos)
      return bad("filing.fileNameTemplate",
                 "must not contain '/' (folders belong in filing.folderTemplate)");
    auto fileTemplate = PathTemplate::parse(*file, "ambita.filing.fileNameTemplate");
    if (!fileTemplate) return fileTemplate.error();
    config.fileNameTemplate = *fileTemplate;

    auto defFolder = readString(section, "filing.defaultCategoryFolder", "Andre dokumenter");
    if (!defFolder) return defFolder.error();
    auto defType = readString(section, "filing.defaultDocumentType", "Annet");
    if (!defType) return defType.error();
    if (defFolder->empty()) return bad("filing.defaultCategoryFolder", "must not be empty");
    config.categories.setDefault({*defFolder, *defType});
    if (auto s = readMap(
            section, "filing.categories",
            [&](const std::string& c, const std::string& f) { config.categories.setFolder(c, f); });
        !s)
      return s.error();
    if (auto s = readMap(section, "filing.documentTypes",
                         [&](const std::string& c, const std::string& t) {
                           config.categories.setDocumentType(c, t);
                         });
        !s)
      return s.error();

    auto policy = readString(section, "filing.withdrawnPolicy", "delete");
    if (!policy) return policy.error();
    if (*policy == "delete")
      config.withdrawnPolicy = WithdrawnPolicy::Delete;
    else if (*policy == "move")
      config.withdrawnPolicy = WithdrawnPolicy::Move;
    else
      return bad("filing.withdrawnPolicy",
                 "expected \"delete\" or \"move\", got \"" + *policy + "\"");

    auto withdrawn = readString(section, "filing.withdrawnFolder", "Trukket tilbake");
    if (!withdrawn) return withdrawn.error();
    std::string cleanWithdrawn;
    std::size_t from = 0;
    while (from <= withdrawn->size()) {
      auto slash = withdrawn->find('/', from);
      std::string seg =
          withdrawn->substr(from, slash == std::string::npos ? std::string::npos : slash - from);
      if (!seg.empty()) {
        if (seg == "." || seg == "..")
          return bad("filing.withdrawnFolder", "must stay inside the target root (no '.' or '..')");
        cleanWithdrawn += (cleanWithdrawn.empty() ? "" : "/") + SafeName::segment(seg);
      }
      if (slash == std::string::npos) break;
      from = slash + 1;
    }
    if (config.withdrawnPolicy == WithdrawnPolicy::Move && cleanWithdrawn.empty())
      return bad("filing.withdrawnFolder",
                 "must name a folder when filing.withdrawnPolicy is \"move\"");
    config.withdrawnFolder = cleanWithdrawn;

    auto concurrency = readInt(section, "filing.concurrency", 4, 1, 64);
    if (!concurrency) return concurrency.error();
    config.concurrency = static_cast<std::size_t>(*concurrency);
    auto nameBytes = readInt(section, "filing.maxNameBytes", 180, 40, 240);
    if (!nameBytes) return nameBytes.error();
    config.maxNameBytes = static_cast<std::size_t>(*nameBytes);
    auto assetAttempts = readInt(section, "filing.maxAttempts", 10, 1, 1000);
    if (!assetAttempts) return assetAttempts.error();
    config.assetMaxAttempts = static_cast<int>(*assetAttempts);
    auto assetRetry = readInt(section, "filing.retryMaxMinutes", 60, 1, 1440);
    if (!assetRetry) return assetRetry.error();
    config.assetRetryMaxMinutes = static_cast<int>(*assetRetry);

    auto pushPath = readString(section, "push.path", "/ambita/push");
    if (!pushPath) return pushPath.error();
    if (pushPath->empty() || pushPath->front() != '/' || pushPath->find('?') != std::string::npos)
      return bad("push.path",
                 "expected an absolute path such as \"/ambita/push\", got \"" + *pushPath + "\"");
    config.pushPath = *pushPath;
    auto secret = readString(section, "push.secret", "");
    if (!secret) return secret.error();  // the message names the key, never the value
    config.pushSecret = *secret;
    auto maxBytes = readInt(section, "push.maxBytes", 65536, 256, 1024 * 1024);
    if (!maxBytes) return maxBytes.error();
    config.pushMaxBytes = static_cast<std::size_t>(*maxBytes);
    auto maxQueued = readInt(section, "push.maxQueuedOrders", 10000, 10, 1000000);
    if (!maxQueued) return maxQueued.error();
    config.pushMaxQueuedOrders = static_cast<std::size_t>(*maxQueued);
    auto retryDays = readInt(section, "push.retryDays", 7, 1, 365);
    if (!retryDays) return retryDays.error();
    config.pushRetryDays = static_cast<int>(*retryDays);
    auto retryMax = readInt(section, "push.retryMaxMinutes", 60, 1, 1440);
    if (!retryMax) return retryMax.error();
    config.pushRetryMaxMinutes = static_cast<int>(*retryMax);

    auto interval = readInt(section, "poll.intervalMinutes", 10, 1, 7 * 24 * 60);
    if (!interval) return interval.error();
    config.pollIntervalMinutes = static_cast<int>(*interval);
    auto days = readInt(section, "poll.finishedDays", 14, 0, 365);
    if (!days) return days.error();
    config.pollFinishedDays = static_cast<int>(*days);
    auto workers = readInt(section, "poll.workers", 2, 1, 16);
    if (!workers) return workers.error();
    config.pollWorkers = static_cast<std::size_t>(*workers);
    return config;
  } catch (const Poco::Exception& e) {
    return dms::fail(ErrorCode::InvalidArgument, "ambita: " + e.displayText());
  } catch (const std::exception& e) {
    return dms::fail(ErrorCode::InvalidArgument, std::string("ambita: ") + e.what());
  }
}

}  // namespace ambita::filing
