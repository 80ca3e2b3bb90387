/** @file core/status.h — status codes and the error record shared by every tapegrad module.
 *
 * Functions that build graph nodes return NULL on failure and leave the first error
 * on their tape (sticky, cairo-style); functions that *do* something return a
 * tg_status. Functions that have no tape take an optional `tg_error*` (may be NULL)
 * that receives the code and a message naming the function, the argument and the
 * shapes involved. Nothing in tapegrad aborts, exits or prints on bad input.
 */
#ifndef TAPEGRAD_CORE_STATUS_H_
#define TAPEGRAD_CORE_STATUS_H_

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/** What a call did: TG_OK or the kind of error. */
typedef enum tg_status {
  TG_OK = 0,       /**< success */
  TG_ERR_NULL_ARG, /**< a required pointer argument was NULL */
  TG_ERR_SHAPE,    /**< shapes do not fit the operation */
  TG_ERR_RANK,     /**< rank outside 0..TG_MAX_RANK */
  TG_ERR_OVERFLOW, /**< element count or byte size does not fit */
  TG_ERR_NOMEM,    /**< the allocator returned NULL */
  TG_ERR_ARG,      /**< an argument value is out of its domain */
  TG_ERR_STATE,    /**< the object is not in a state that allows the call */
  TG_ERR_IO,       /**< reading or writing a file failed */
  TG_ERR_PARSE     /**< malformed text input (spec, CSV, model file) */
} tg_status;

enum { TG_ERROR_MESSAGE_CAP = 320 };

/** A status plus a human-readable message. Zero-initialise it (`tg_error e = {0};`). */
typedef struct tg_error {
  tg_status code;                     /**< TG_OK while no error is recorded */
  char message[TG_ERROR_MESSAGE_CAP]; /**< names the function, the argument, the shapes */
} tg_error;

/** Short constant name of a status, e.g. "TG_ERR_SHAPE". Never NULL. */
const char* tg_status_name(tg_status status);

/** Records `code` and a printf-style message in `err` if err is non-NULL and holds no
 * error yet (the first error wins). Returns `code` so callers can `return tg_error_set(...)`. */
tg_status tg_error_set(tg_error* err, tg_status code, const char* fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

#ifdef __cplusplus
}
#endif

#endif /* TAPEGRAD_CORE_STATUS_H_ */
