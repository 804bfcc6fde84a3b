// The exported entry points of build/modules/dms-plugin-ambita.so (see dms/ModuleInfo.h).
#include "AmbitaPluginFactory.h"
#include "dms/ModuleInfo.h"

DMS_DECLARE_PLUGIN("ambita", DMS_RELEASE_VERSION, ambita::AmbitaPluginFactory)
