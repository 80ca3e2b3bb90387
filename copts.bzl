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

def tg_test(name, deps = [], size = "small", **kwargs):
    """A GoogleTest suite tests/<name>.cc, held to the same warnings as library code."""
    native.cc_test(
        name = name,
        size = size,
        srcs = [name + ".cc"],
        copts = TG_TEST_COPTS,
        deps = deps + ["@googletest//:gtest_main"],
        **kwargs
    )
