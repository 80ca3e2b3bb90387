/* core/version.c — the version compiled into the library (core/version.h). */
#include "core/version.h"

const char* tg_version(void) { return TG_VERSION_STRING; }
int tg_version_major(void) { return TG_VERSION_MAJOR; }
int tg_version_minor(void) { return TG_VERSION_MINOR; }
int tg_version_patch(void) { return TG_VERSION_PATCH; }
