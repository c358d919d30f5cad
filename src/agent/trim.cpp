#include "agent/trim.h"

#include <elf.h>
#include <link.h>
#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>

namespace sockerless::agent {
namespace {

// Only the first object dl_iterate_phdr reports: the executable itself. For each loadable
// segment that is not writable (code, read-only data), the whole pages inside it are advised
// away. MADV_DONTNEED on a private file mapping that was never written simply unmaps the pages;
// the next access reads them again from the file. Writable segments (data, bss, RELRO, which was
// written during relocation) are left alone.
int drop_read_only_segments(dl_phdr_info* info, std::size_t /*size*/, void* /*data*/) {
    const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
    for (int i = 0; i < info->dlpi_phnum; ++i) {
        const ElfW(Phdr)& segment = info->dlpi_phdr[i];
        if (segment.p_type != PT_LOAD || (segment.p_flags & PF_W) != 0) continue;
        const std::uintptr_t start = info->dlpi_addr + segment.p_vaddr;
        const std::uintptr_t first = (start + page - 1) & ~(page - 1);
        const std::uintptr_t end = (start + segment.p_memsz) & ~(page - 1);
        if (end > first) {
            // NOLINTNEXTLINE(performance-no-int-to-ptr): an address from the program headers
            ::madvise(reinterpret_cast<void*>(first), end - first, MADV_DONTNEED);
        }
    }
    return 1;  // the executable only
}

}  // namespace

void release_startup_memory() noexcept {
    ::malloc_trim(0);
    ::dl_iterate_phdr(drop_read_only_segments, nullptr);
}

}  // namespace sockerless::agent
