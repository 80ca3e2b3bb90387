"""Compile flags for tapegrad's own targets (third-party code is not held to -Werror)."""

TG_COPTS = [
    "-Wall",
    "-Wextra",
    "-Werror",
    "-Wshadow",
    "-Wstrict-prototypes",
    "-Wno-unused-parameter",
]

TG_LINKOPTS = []

TG_TEST_COPTS = [
    "-Wall",
    "-Wextra",
    "-Werror",
]
