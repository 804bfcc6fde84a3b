// The exported entry points of build/modules/dms-connector-filesystem.so (see dms/ModuleInfo.h).
#include "dms/ModuleInfo.h"
#include "dms/filesystem/FilesystemConnectorFactory.h"

DMS_DECLARE_CONNECTOR("filesystem", DMS_RELEASE_VERSION,
                      dms::filesystem::FilesystemConnectorFactory)
