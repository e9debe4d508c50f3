/* highperf.h — the C ABI of HighPerf's native kernel core.
 *
 * Conventions (read like llama.h):
 *  - Every function returns hp_status (HP_OK == 0) unless it is a pure query; nothing aborts or throws across
 *    this boundary. On failure, hp_last_error() gives a thread-local, human-readable message.
 *  - Arrays are caller-owned and described by (pointer, count). Ragged batches use an offsets array of
 *    n_seq + 1 non-decreasing int32 values, offsets[0] == 0.
 */
#ifndef HIGHPERF_H
#define HIGHPERF_H

#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32)
#  define HP_API __declspec(dllexport)
#else
#  define HP_API __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

typedef enum hp_status {
    HP_OK = 0,
    HP_ERR_INVALID_ARGUMENT = 1, /* a null pointer, a bad length, an out-of-range value */
    HP_ERR_OUT_OF_MEMORY = 2,
    HP_ERR_UNSUPPORTED = 3,      /* e.g. a CUDA call in a build or on a machine without CUDA */
    HP_ERR_CUDA = 4,             /* a CUDA runtime error; the message names it */
    HP_ERR_INTERNAL = 5,         /* an unexpected exception caught at the boundary */
} hp_status;

/* Library version as "MAJOR.MINOR.PATCH"; static storage. */
HP_API const char * hp_version(void);

/* The message of the last failed call on this thread ("" if none); valid until the next failing call. */
HP_API const char * hp_last_error(void);

/* Non-zero when this build contains the CUDA kernels and a CUDA device is usable. */
HP_API int hp_cuda_available(void);

#ifdef __cplusplus
}
#endif

#endif /* HIGHPERF_H */
