// Error reporting shared by every entry point: a thread-local last-error string.
#include "highperf.h"
#include "status.hpp"

#include <string>

namespace hp {
namespace {
thread_local std::string g_last_error;
}

hp_status fail(hp_status code, const std::string & message) noexcept {
    try {
        g_last_error = message;
    } catch (...) {
        // Out of memory while recording the message: keep the code, lose the text.
    }
    return code;
}

void clear_error() noexcept { g_last_error.clear(); }

}  // namespace hp

extern "C" {

HP_API const char * hp_version(void) { return HIGHPERF_VERSION_STRING; }

HP_API const char * hp_last_error(void) { return hp::g_last_error.c_str(); }

#ifndef HIGHPERF_WITH_CUDA
HP_API int hp_cuda_available(void) { return 0; }
#endif

}
