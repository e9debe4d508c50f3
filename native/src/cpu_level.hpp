// Run-time CPU dispatch level shared by the CPU kernels (detected once; HIGHPERF_CPU_ISA=scalar|avx2 forces less).
#pragma once

namespace hp {

enum class CpuLevel { Scalar = 0, Avx2 = 1, Avx512 = 2 };  // Avx2 means x86-64-v3 (AVX2 + FMA), Avx512 x86-64-v4

CpuLevel cpu_level() noexcept;

}  // namespace hp
