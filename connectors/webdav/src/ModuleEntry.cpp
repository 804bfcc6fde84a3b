// The exported entry points of build/modules/dms-connector-webdav.so (see dms/ModuleInfo.h).
#include "dms/ModuleInfo.h"
#include "dms/webdav/WebDavConnectorFactory.h"

DMS_DECLARE_CONNECTOR("webdav", DMS_RELEASE_VERSION, dms::webdav::WebDavConnectorFactory)
