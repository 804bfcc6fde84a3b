// The module's only exported symbols: the descriptor and the factory (see dms/ModuleInfo.h).
#include "AmbitaPluginFactory.h"
#include "dms/ModuleInfo.h"

using ambita::AmbitaPluginFactory;

DMS_DECLARE_PLUGIN("ambita", "0.1.0", AmbitaPluginFactory)
