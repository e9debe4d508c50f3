// Internal helpers for the C boundary: record an error, and run a body with every exception caught.
#pragma once

#include "highperf.h"

#include <exception>
#include <new>
#include <string>

namespace hp {

hp_status fail(hp_status code, const std::string & message) noexcept;
void clear_error() noexcept;

// Runs f() and converts any escaping exception into a status, so nothing unwinds into the caller.
template <typename F> hp_status guarded(F && f) noexcept {
    try {
        return f();
    } catch (const std::bad_alloc &) {
        return fail(HP_ERR_OUT_OF_MEMORY, "out of memory");
    } catch (const std::exception & e) {
        return fail(HP_ERR_INTERNAL, std::string("internal error: ") + e.what());
    } catch (...) {
        return fail(HP_ERR_INTERNAL, "internal error: unknown exception");
    }
}

}  // namespace hp
