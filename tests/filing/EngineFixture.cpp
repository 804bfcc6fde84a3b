#include "EngineFixture.h"

#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Session.h>
#include <Poco/JSON/Parser.h>

#include <filesystem>
#include <sstream>

namespace ambita::test {

void EngineFixture::SetUp() {
  tmp_ = std::make_unique<dms::test::TempDir>("dms-filing");
  archiveRoot_ = tmp_->str() + "/archive";
  dataDir_ = tmp_->str() + "/data";
  std::filesystem::create_directories(dataDir_);
  dms::filesystem::FilesystemOptions options;
  options.root = archiveRoot_;
  options.fsync = false;
  auto target = dms::filesystem::FilesystemTarget::open(options, &logger_);
  ASSERT_TRUE(target.ok()) << target.error().describe();
  fsTarget_ = std::move(*target);
  target_ = fsTarget_.get();
  configure("{}");
}

void EngineFixture::TearDown() {
  closeEngine();
  fsTarget_.reset();
  tmp_.reset();
}

void EngineFixture::closeEngine() {
  service_.reset();
  reconciler_.reset();
  store_.reset();
}

void EngineFixture::configure(const std::string& configJson) {
  closeEngine();
  configJson_ = configJson;
  auto reader =
      dms::config::OptionReader::parse(configJson, {filing::filingConfigOptions()}, "ambita");
  ASSERT_TRUE(reader.ok()) << reader.error().describe();
  auto config = filing::parseFilingConfig(*reader);
  ASSERT_TRUE(config.ok()) << config.error().describe();
  config_ = std::make_unique<filing::FilingConfig>(std::move(*config));
  auto store = filing::SqliteStateStore::open(dataDir_ + "/state.db");
  ASSERT_TRUE(store.ok()) << store.error().describe();
  store_ = std::move(*store);
  reconciler_ =
      std::make_unique<filing::Reconciler>(api_, *target_, *store_, *config_, logger_,
                                           std::filesystem::path(dataDir_) / "spool", clock());
  service_ =
      std::make_unique<filing::FilingService>(*reconciler_, *store_, *target_, *config_, dataDir_);
}

filing::EpochClock EngineFixture::clock() {
  return [this] { return filing::systemClock()() + clockOffsetSeconds_.load(); };
}

void EngineFixture::writeStateWithNumbers(int count, const std::string& sql) {
  Poco::Data::SQLite::Connector::registerConnector();
  Poco::Data::Session session("SQLite", dataDir_ + "/state.db");
  using namespace Poco::Data::Keywords;
  session << "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < " +
                 std::to_string(count) + ") " + sql,
      now;
}

std::map<std::string, ArchivedFile> EngineFixture::tree() {
  std::map<std::string, ArchivedFile> out;
  std::vector<std::string> folders{""};
  while (!folders.empty()) {
    auto folder = folders.back();
    folders.pop_back();
    auto entries = fsTarget_->list(folder);
    EXPECT_TRUE(entries.ok()) << entries.error().describe();
    if (!entries) continue;
    for (const auto& e : *entries) {
      if (e.type == dms::EntryType::Folder) {
        folders.push_back(e.path);
        continue;
      }
      ArchivedFile f;
      auto in = fsTarget_->get(e.path);
      EXPECT_TRUE(in.ok());
      if (in) {
        std::ostringstream s;
        s << (*in)->rdbuf();
        f.content = s.str();
      }
      auto md = fsTarget_->readMetadata(e.path);
      if (md) f.metadata = *md;
      out[e.path] = std::move(f);
    }
  }
  return out;
}

std::vector<std::string> EngineFixture::leftovers() {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::recursive_directory_iterator(archiveRoot_)) {
    const auto name = e.path().filename().string();
    if (name.rfind(".dms-tmp", 0) == 0) out.push_back(e.path().string());
  }
  const auto spool = std::filesystem::path(dataDir_) / "spool";
  if (std::filesystem::exists(spool))
    for (const auto& e : std::filesystem::directory_iterator(spool))
      out.push_back(e.path().string());
  return out;
}

api::OrderCollection EngineFixture::makeOrder(std::int64_t id, const std::string& status,
                                              std::vector<api::Asset> orderLevel,
                                              std::vector<api::Asset> lineLevel) {
  api::OrderCollection order;
  order.id = id;
  order.status = status;
  api::SupplierOrder so;
  so.id = id * 10 + 1;
  so.supplierName = "Infoland Kommune - demo";
  so.technicalReference = "dms-case-" + std::to_string(id);
  so.assets = std::move(orderLevel);
  api::OrderLine line;
  line.id = id * 100 + 7;
  line.status = "FINISHED";
  line.product = "WI99990900";
  line.productName = "Godkjente bygningstegninger";
  line.productType = "NORMAL";
  line.assets = std::move(lineLevel);
  so.orderLines.push_back(std::move(line));
  order.orders.push_back(std::move(so));
  return order;
}

dms::Result<filing::ReconcileReport> EngineFixture::reconcile(std::int64_t id,
                                                              filing::Reason reason) {
  return reconciler_->reconcile(id, reason);
}

}  // namespace ambita::test
