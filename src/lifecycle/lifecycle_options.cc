// LifecycleOptions and Operation are plain declarations (operation.h); this file gives the module a
// translation unit until the operations land.
#include "lifecycle/operation.h"
