/** @file core/vector_clones.h — TG_VECTOR_CLONES marks a hot loop to be compiled also for
 * AVX2 and AVX-512 and picked once at load time (GCC's function multi-versioning).
 * The build targets the x86-64 baseline, whose 4-wide vectors leave such loops a
 * third as fast as the hardware. Without FMA contraction (ISO C mode) every version
 * computes the same bits. Expands to nothing where the attribute is unavailable. */
#ifndef TAPEGRAD_CORE_VECTOR_CLONES_H_
#define TAPEGRAD_CORE_VECTOR_CLONES_H_

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && defined(__linux__)
#define TG_VECTOR_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define TG_VECTOR_CLONES
#endif

#endif /* TAPEGRAD_CORE_VECTOR_CLONES_H_ */
