#include "image_layers.h"

#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <set>
#include <vector>

namespace sockerless::awssim {
namespace fs = std::filesystem;
namespace {

constexpr std::string_view kWhiteoutPrefix = ".wh.";
constexpr std::string_view kOpaqueMarker = ".wh..wh..opq";
constexpr std::size_t kReadBlock = std::size_t{64} * 1024;

struct ReadDeleter {
    void operator()(archive* a) const { archive_read_free(a); }
};
struct WriteDeleter {
    void operator()(archive* a) const { archive_write_free(a); }
};
using ReadArchive = std::unique_ptr<archive, ReadDeleter>;
using WriteArchive = std::unique_ptr<archive, WriteDeleter>;

ApiError layer_error(std::string message) {
    return ApiError{500, "CannotPullContainerError", "apply layer: " + std::move(message)};
}

// "./a//b/" -> "a/b"; nullopt when a component is "..". "" is the root itself.
std::optional<std::string> clean_path(std::string_view path) {
    std::string out;
    while (!path.empty()) {
        std::size_t slash = path.find('/');
        std::string_view part = path.substr(0, slash);
        if (part == "..") return std::nullopt;
        if (!part.empty() && part != ".") {
            if (!out.empty()) out.push_back('/');
            out.append(part);
        }
        if (slash == std::string_view::npos) break;
        path.remove_prefix(slash + 1);
    }
    return out;
}

std::string parent_of(const std::string& rel) {
    std::size_t slash = rel.rfind('/');
    return slash == std::string::npos ? "" : rel.substr(0, slash);
}

std::string name_of(const std::string& rel) {
    std::size_t slash = rel.rfind('/');
    return slash == std::string::npos ? rel : rel.substr(slash + 1);
}

// True when every directory from rootfs down to rootfs/rel exists and none is a symbolic link.
bool real_directories(const std::string& rootfs, const std::string& rel) {
    std::string path = rootfs;
    std::string_view rest = rel;
    while (!rest.empty()) {
        std::size_t slash = rest.find('/');
        path += "/" + std::string(rest.substr(0, slash));
        struct stat st {};
        if (::lstat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return false;
        if (slash == std::string_view::npos) break;
        rest.remove_prefix(slash + 1);
    }
    return true;
}

// Removes what lower layers put in rootfs/dir, keeping paths this layer created (and the
// directories leading to them).
void hide_lower(const std::string& rootfs, const std::string& dir,
                const std::set<std::string>& this_layer) {
    std::error_code ec;
    for (const auto& child : fs::directory_iterator(fs::path(rootfs) / dir, ec)) {
        std::string name = child.path().filename().string();
        std::string rel = dir.empty() ? name : (fs::path(dir) / name).string();
        if (!this_layer.contains(rel)) {
            fs::remove_all(child.path(), ec);
        } else if (child.is_directory(ec) && !child.is_symlink(ec)) {
            hide_lower(rootfs, rel, this_layer);
        }
    }
}

// Records rel and each directory above it as belonging to this layer.
void remember(std::set<std::string>& this_layer, std::string rel) {
    while (!rel.empty() && this_layer.insert(rel).second)
        rel = parent_of(rel);
}

ApiResult<void> copy_data(archive* in, archive* out) {
    const void* block = nullptr;
    std::size_t size = 0;
    la_int64_t offset = 0;
    while (true) {
        int r = archive_read_data_block(in, &block, &size, &offset);
        if (r == ARCHIVE_EOF) return {};
        if (r < ARCHIVE_WARN) return layer_error(archive_error_string(in));
        if (archive_write_data_block(out, block, size, offset) < ARCHIVE_WARN)
            return layer_error(archive_error_string(out));
    }
}

// Whiteouts and opaque markers; true when `rel` was one (and has been applied).
bool apply_whiteout(const std::string& rootfs, const std::string& rel,
                    const std::set<std::string>& this_layer) {
    std::string name = name_of(rel);
    if (!name.starts_with(kWhiteoutPrefix)) return false;
    std::string dir = parent_of(rel);
    if (!real_directories(rootfs, dir)) return true;  // nothing below to hide, or a link: skip
    if (name == kOpaqueMarker) {
        hide_lower(rootfs, dir, this_layer);
    } else if (!name.starts_with(".wh..wh.")) {  // other ".wh..wh." names are aufs metadata
        std::string target =
            rootfs + "/" + (dir.empty() ? "" : dir + "/") + name.substr(kWhiteoutPrefix.size());
        std::error_code ec;
        fs::remove_all(target, ec);
    }
    return true;
}

}  // namespace

ApiResult<void> apply_layer(const std::string& rootfs_dir, const std::string& layer_path) {
    std::error_code ec;
    // libarchive's symlink checks walk the whole path: resolve links above the rootfs first.
    std::string rootfs = fs::canonical(rootfs_dir, ec).string();
    if (ec) return layer_error("rootfs " + rootfs_dir + ": " + ec.message());
    bool root = ::geteuid() == 0;

    ReadArchive in(archive_read_new());
    archive_read_support_filter_all(in.get());
    archive_read_support_format_tar(in.get());
    if (archive_read_open_filename(in.get(), layer_path.c_str(), kReadBlock) != ARCHIVE_OK)
        return layer_error(archive_error_string(in.get()));
    WriteArchive out(archive_write_disk_new());
    int flags = ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_UNLINK |
                ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NODOTDOT;
    if (root) flags |= ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_XATTR;
    archive_write_disk_set_options(out.get(), flags);

    std::set<std::string> this_layer;
    archive_entry* entry = nullptr;
    while (true) {
        int r = archive_read_next_header(in.get(), &entry);
        if (r == ARCHIVE_EOF) break;
        if (r < ARCHIVE_WARN) return layer_error(archive_error_string(in.get()));
        auto rel = clean_path(archive_entry_pathname(entry));
        if (!rel)
            return layer_error(std::string("entry escapes the rootfs: ") +
                               archive_entry_pathname(entry));
        if (rel->empty()) continue;  // the root directory itself keeps its owner and mode
        if (apply_whiteout(rootfs, *rel, this_layer)) continue;
        mode_t type = archive_entry_filetype(entry);
        if (!root && (type == AE_IFCHR || type == AE_IFBLK)) continue;
        if (const char* link = archive_entry_hardlink(entry)) {
            auto target = clean_path(link);
            if (!target || target->empty())
                return layer_error(std::string("hard link escapes the rootfs: ") + link);
            archive_entry_set_hardlink(entry, (rootfs + "/" + *target).c_str());
        }
        std::string path = rootfs + "/" + *rel;
        // A lower layer's directory replaced by a non-directory: libarchive only unlinks files.
        struct stat st {};
        if (type != AE_IFDIR && ::lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode) &&
            real_directories(rootfs, parent_of(*rel)))
            fs::remove_all(path, ec);
        archive_entry_set_pathname(entry, path.c_str());
        if (archive_write_header(out.get(), entry) < ARCHIVE_WARN)
            return layer_error(std::string(archive_error_string(out.get())) + " (" + *rel + ")");
        if (archive_entry_size(entry) > 0) {
            if (auto copied = copy_data(in.get(), out.get()); !copied) return copied;
        }
        if (archive_write_finish_entry(out.get()) < ARCHIVE_WARN)
            return layer_error(archive_error_string(out.get()));
        remember(this_layer, *rel);
    }
    // Directory modes and times are applied at close, after their contents are in place.
    if (archive_write_close(out.get()) < ARCHIVE_WARN)
        return layer_error(archive_error_string(out.get()));
    return {};
}

}  // namespace sockerless::awssim
