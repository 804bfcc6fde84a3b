// The module entry points of dms-connector-filesystem.so (see dms/ModuleInfo.h).
#include "dms/Connector.h"
#include "dms/ModuleInfo.h"
#include "dms/filesystem/FilesystemConnectorFactory.h"

DMS_DECLARE_CONNECTOR("filesystem", "0.1.0", dms::filesystem::FilesystemConnectorFactory)
