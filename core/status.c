/* core/status.c — status names and the first-error-wins error record. */
#include "core/status.h"

#include <stdarg.h>
#include <stdio.h>

const char* tg_status_name(tg_status status) {
  switch (status) {
    case TG_OK: return "TG_OK";
    case TG_ERR_NULL_ARG: return "TG_ERR_NULL_ARG";
    case TG_ERR_SHAPE: return "TG_ERR_SHAPE";
    case TG_ERR_RANK: return "TG_ERR_RANK";
    case TG_ERR_OVERFLOW: return "TG_ERR_OVERFLOW";
    case TG_ERR_NOMEM: return "TG_ERR_NOMEM";
    case TG_ERR_ARG: return "TG_ERR_ARG";
    case TG_ERR_STATE: return "TG_ERR_STATE";
    case TG_ERR_IO: return "TG_ERR_IO";
    case TG_ERR_PARSE: return "TG_ERR_PARSE";
  }
  return "TG_ERR_UNKNOWN";
}

tg_status tg_error_set(tg_error* err, tg_status code, const char* fmt, ...) {
  if (err == NULL || err->code != TG_OK) return code;
  err->code = code;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err->message, sizeof err->message, fmt, ap);
  va_end(ap);
  return code;
}
