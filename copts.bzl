"""Compile flags for tapegrad's own targets.

They live here, not in .bazelrc, so that they apply to tapegrad's targets only: a
user's target in this workspace (or a workspace that uses tapegrad) builds with the
compiler's defaults, and third-party code is not held to -Werror.
"""

# C code of the library, tools, examples and benchmarks.
TG_COPTS = [
    "-std=c11",
    "-Wall",
    "-Wextra",
    "-Werror",
    "-Wshadow",
    "-Wstrict-prototypes",
    "-Wno-unused-parameter",
]

TG_LINKOPTS = []

# GoogleTest suites (C++).
TG_TEST_COPTS = [
    "-std=c++17",
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
