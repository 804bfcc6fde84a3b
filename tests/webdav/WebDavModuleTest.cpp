// The built module build/modules/dms-connector-webdav.so, loaded with dlopen as a host would:
// its descriptor, its schema, a configuration error, and a real put through it to Apache.
#include <dlfcn.h>
#include <gtest/gtest.h>

#include <sstream>

#include "WebDavTestHelpers.h"
#include "dms/Connector.h"
#include "dms/ModuleInfo.h"

namespace dms::test {
namespace {

class LoadedModule {
 public:
  LoadedModule() {
    const std::string path = std::string(DMS_MODULE_DIR) + "/dms-connector-webdav.so";
    handle_ = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle_ == nullptr) throw std::runtime_error("dlopen " + path + ": " + ::dlerror());
  }
  ~LoadedModule() {
    if (handle_ != nullptr) ::dlclose(handle_);
  }
  LoadedModule(const LoadedModule&) = delete;
  LoadedModule& operator=(const LoadedModule&) = delete;
  template <class F>
  F* symbol(const char* name) const {
    return reinterpret_cast<F*>(::dlsym(handle_, name));
  }

 private:
  void* handle_ = nullptr;
};

TEST(WebDavModule, DescriptorFactoryAndAPutThroughTheModule) {
  LoadedModule module;
  auto* descriptorFn = module.symbol<const DmsModuleDescriptor*()>("dms_module_descriptor");
  ASSERT_NE(descriptorFn, nullptr);
  const DmsModuleDescriptor* descriptor = descriptorFn();
  EXPECT_EQ(descriptor->magic, kModuleMagic);
  EXPECT_EQ(descriptor->interfaceVersion, kInterfaceVersion.encoded());
  EXPECT_STREQ(descriptor->kind, "connector");
  EXPECT_STREQ(descriptor->name, "webdav");
  EXPECT_STREQ(descriptor->compilerTag, DMS_COMPILER_TAG);

  auto* factoryFn = module.symbol<const ConnectorFactory*()>("dms_connector_factory");
  ASSERT_NE(factoryFn, nullptr);
  const ConnectorFactory& factory = *factoryFn();
  bool urlRequired = false;
  for (const auto& option : factory.configSchema().options)
    if (option.key == "url") urlRequired = option.required;
  EXPECT_TRUE(urlRequired);

  CapturingLogger logger;
  ConnectorContext bad{"{\"connector\": \"webdav\"}", "/tmp", &logger};
  auto refused = factory.create(bad);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::InvalidArgument);
  EXPECT_EQ(refused.error().message.rfind("target.url:", 0), 0u) << refused.error().message;

  ApacheServer server;
  const std::string url = server.createCollection("module");
  ConnectorContext good{webdavConfig(server, url), "/tmp", &logger};
  auto target = factory.create(good);
  ASSERT_TRUE(target) << target.error().describe();
  ASSERT_TRUE((*target)->recover());
  ASSERT_TRUE((*target)->ensureFolder("x/y"));
  std::istringstream in("through the module");
  auto put = (*target)->put("x/y/z.txt", in, {{"k", "v"}}, PutMode::CreateNew);
  ASSERT_TRUE(put) << put.error().describe();
  EXPECT_TRUE(std::filesystem::exists(server.davRoot() / "module" / "x" / "y" / "z.txt"));
  EXPECT_EQ((*target)->describe(), "webdav:" + url);
}

}  // namespace
}  // namespace dms::test
