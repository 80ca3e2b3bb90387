/* kernels/gemm_builtin.c — instantiates the blocked kernel once per instruction set and
 * picks the best one the CPU supports at run time, so one binary built for the
 * x86-64 baseline still runs AVX2/FMA or AVX-512 code where the hardware has it. */
#include "kernels/internal/gemm_builtin.h"

#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif

/* Baseline: 16-byte vectors (SSE2 on x86-64, NEON elsewhere). */
#define GK_SUFFIX generic
#define GK_TARGET
#define GK_MASK 0
#define GK_VL 4
#define GK_MR 6
#define GK_NV 2
#define GK_MC 96
#define GK_KC 256
#define GK_NC 1024
#include "kernels/internal/gemm_kernel.inc"

#if defined(__x86_64__) && defined(__GNUC__)
#define TG_GEMM_HAVE_X86 1

#define GK_SUFFIX avx2
#define GK_TARGET __attribute__((target("avx2,fma")))
#define GK_MASK 256
#define GK_VL 8
#define GK_MR 6
#define GK_NV 2
#define GK_MC 96
#define GK_KC 256
#define GK_NC 1024
#include "kernels/internal/gemm_kernel.inc"

/* 12 x 32 tile: 24 of the 32 zmm registers accumulate. Measured against 14x32,
 * 8x48 and larger MC/KC/NC on a Xeon with AVX-512 (bench/README.md). */
#define GK_SUFFIX avx512
#define GK_TARGET __attribute__((target("avx512f,avx512vl,fma")))
#define GK_MASK 512
#define GK_VL 16
#define GK_MR 12
#define GK_NV 2
#define GK_MC 144
#define GK_KC 256
#define GK_NC 1024
#include "kernels/internal/gemm_kernel.inc"
#endif

/* One kernel set per instruction set; the register tile (mr x nr) matches the
 * GK_MR and GK_VL * GK_NV it was compiled with above. */
#define TG_ISA(sfx, level, tile_m, tile_n)                                            \
  {                                                                                   \
    .name = #sfx, .simd_level = (level), .mr = (tile_m), .nr = (tile_n),              \
    .pack_floats = pack_floats_##sfx, .blocked = blocked_##sfx, .small = small_##sfx, \
    .small_floats = small_floats_##sfx, .small_wins = small_wins_##sfx,               \
    .small_form = small_form_##sfx, .small_rows = small_rows_planned_##sfx,           \
    .small_narrow = small_narrow_##sfx, .row_vector = row_vector_##sfx                \
  }
static const tg_gemm_isa kGeneric = TG_ISA(generic, 0, 6, 8);
#ifdef TG_GEMM_HAVE_X86
static const tg_gemm_isa kAvx2 = TG_ISA(avx2, 2, 6, 16);
static const tg_gemm_isa kAvx512 = TG_ISA(avx512, 3, 12, 32);
#endif
#undef TG_ISA

static bool runs(const tg_gemm_isa* isa) {
#ifdef TG_GEMM_HAVE_X86
  if (isa == &kAvx512)
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl");
  if (isa == &kAvx2) return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#endif
  return isa == &kGeneric;
}

const tg_gemm_isa* tg_gemm_isa_best(void) {
#ifdef TG_GEMM_HAVE_X86
  if (runs(&kAvx512)) return &kAvx512;
  if (runs(&kAvx2)) return &kAvx2;
#endif
  return &kGeneric;
}

const tg_gemm_isa* tg_gemm_isa_find(const char* name) {
  static const tg_gemm_isa* const all[] = {
#ifdef TG_GEMM_HAVE_X86
      &kAvx512, &kAvx2,
#endif
      &kGeneric};
  if (name == NULL) return NULL;
  for (size_t i = 0; i < sizeof all / sizeof all[0]; ++i)
    if (strcmp(all[i]->name, name) == 0) return runs(all[i]) ? all[i] : NULL;
  return NULL;
}
