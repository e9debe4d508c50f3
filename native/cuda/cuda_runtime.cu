// CUDA availability query of the CUDA build.
#include "cuda_common.cuh"

extern "C" HP_API int hp_cuda_available(void) {
    int count = 0;
    return (cudaGetDeviceCount(&count) == cudaSuccess && count > 0) ? 1 : 0;
}
