/** @file core/version.h — tapegrad's version, at compile time and at run time.
 *
 * The major version is the shared library's soname (libtapegrad.so.MAJOR): a program
 * built against one major version does not load a library of another.
 *
 *     if (tg_version_major() != TG_VERSION_MAJOR) fprintf(stderr, "mismatched tapegrad\n");
 *     printf("tapegrad %s\n", tg_version());   // "0.2.0"
 */
#ifndef TAPEGRAD_CORE_VERSION_H_
#define TAPEGRAD_CORE_VERSION_H_

#ifdef __cplusplus
extern "C" {
#endif

/** The version of the headers compiled against. @{ */
#define TG_VERSION_MAJOR 0
#define TG_VERSION_MINOR 2
#define TG_VERSION_PATCH 0
#define TG_VERSION_STRING "0.2.0"
/** @} */

/** The version of the library linked at run time, e.g. "0.2.0" (static string). */
const char* tg_version(void);
/** Its major, minor and patch numbers. @{ */
int tg_version_major(void);
int tg_version_minor(void);
int tg_version_patch(void);
/** @} */

#ifdef __cplusplus
}
#endif

#endif /* TAPEGRAD_CORE_VERSION_H_ */
