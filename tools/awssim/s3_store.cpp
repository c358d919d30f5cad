#include "s3_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <system_error>

#include <boost/json.hpp>

#include "base/fd.h"
#include "sigv4_verify.h"

namespace sockerless::awssim {
namespace json = boost::json;
namespace fs = std::filesystem;
namespace {

constexpr auto kDay = std::chrono::hours(24);

std::int64_t to_millis(TimePoint t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

TimePoint from_millis(std::int64_t ms) {
    return TimePoint(
        std::chrono::duration_cast<TimePoint::duration>(std::chrono::milliseconds(ms)));
}

// Writes `data` to `path` through a temporary file and a rename, so readers never see half a file.
Status write_file(const std::string& path, std::string_view data) {
    std::string tmp = path + ".tmp";
    UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (!fd) return errno_error("open " + tmp, errno);
    while (!data.empty()) {
        ssize_t n = ::write(fd.get(), data.data(), data.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return errno_error("write " + tmp, errno);
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    if (::close(fd.release()) != 0) return errno_error("close " + tmp, errno);
    if (::rename(tmp.c_str(), path.c_str()) != 0) return errno_error("rename " + tmp, errno);
    return ok();
}

Result<std::string> read_range(const std::string& path, std::uint64_t offset,
                               std::uint64_t length) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return errno_error("open " + path, errno);
    std::string out(length, '\0');
    std::size_t done = 0;
    while (done < length) {
        ssize_t n =
            ::pread(fd.get(), out.data() + done, length - done, static_cast<off_t>(offset + done));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return errno_error("read " + path, errno);
        if (n == 0) return make_error(Errc::internal, path + " is shorter than its metadata says");
        done += static_cast<std::size_t>(n);
    }
    return out;
}

Result<json::object> read_json(const std::string& path) {
    std::error_code ec;
    auto size = fs::file_size(path, ec);
    if (ec) return make_error(Errc::not_found, "stat " + path + ": " + ec.message());
    auto text = read_range(path, 0, size);
    if (!text) return text.error();
    boost::system::error_code jec;
    auto v = json::parse(*text, jec);
    if (jec || !v.is_object()) return make_error(Errc::internal, path + " is not a JSON object");
    return std::move(v.as_object());
}

json::object string_map(const std::map<std::string, std::string>& m) {
    json::object out;
    for (const auto& [k, v] : m)
        out[k] = v;
    return out;
}

std::map<std::string, std::string> string_map(const json::value* v) {
    std::map<std::string, std::string> out;
    if (!v || !v->is_object()) return out;
    for (const auto& [k, val] : v->as_object()) {
        if (val.is_string()) out[std::string(k)] = std::string(val.as_string());
    }
    return out;
}

std::string str(const json::object& o, std::string_view key) {
    const auto* v = o.if_contains(key);
    return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

std::int64_t num(const json::object& o, std::string_view key) {
    const auto* v = o.if_contains(key);
    return v && v->is_int64() ? v->as_int64() : 0;
}

bool flag(const json::object& o, std::string_view key) {
    const auto* v = o.if_contains(key);
    return v && v->is_bool() && v->as_bool();
}

json::object meta_json(const ObjectMeta& m) {
    return json::object{{"key", m.key},
                        {"size", m.size},
                        {"etag", m.etag},
                        {"last_modified_ms", to_millis(m.last_modified)},
                        {"headers", string_map(m.headers)},
                        {"metadata", string_map(m.metadata)},
                        {"sse", m.sse},
                        {"kms_key_id", m.kms_key_id},
                        {"bucket_key_enabled", m.bucket_key_enabled},
                        {"checksum_algorithm", m.checksum_algorithm},
                        {"checksum", m.checksum}};
}

ObjectMeta meta_from_json(const json::object& o) {
    ObjectMeta m;
    m.key = str(o, "key");
    const auto* size = o.if_contains("size");
    m.size =
        size && size->is_uint64() ? size->as_uint64() : static_cast<std::uint64_t>(num(o, "size"));
    m.etag = str(o, "etag");
    m.last_modified = from_millis(num(o, "last_modified_ms"));
    m.headers = string_map(o.if_contains("headers"));
    m.metadata = string_map(o.if_contains("metadata"));
    m.sse = str(o, "sse");
    m.kms_key_id = str(o, "kms_key_id");
    m.bucket_key_enabled = flag(o, "bucket_key_enabled");
    m.checksum_algorithm = str(o, "checksum_algorithm");
    m.checksum = str(o, "checksum");
    return m;
}

json::object settings_json(const Bucket& b) {
    json::object o{
        {"name", b.name},
        {"region", b.region},
        {"created_ms", to_millis(b.created)},
        {"encryption", json::object{{"algorithm", b.encryption.algorithm},
                                    {"kms_key_id", b.encryption.kms_key_id},
                                    {"bucket_key_enabled", b.encryption.bucket_key_enabled}}}};
    if (b.policy_text) o["policy"] = *b.policy_text;
    if (b.lifecycle) {
        json::array rules;
        for (const auto& r : *b.lifecycle) {
            json::object rule{
                {"id", r.id}, {"prefix", r.prefix}, {"filter", r.filter}, {"enabled", r.enabled}};
            if (r.expiration_days) rule["expiration_days"] = *r.expiration_days;
            if (r.abort_incomplete_upload_days)
                rule["abort_incomplete_upload_days"] = *r.abort_incomplete_upload_days;
            rules.push_back(std::move(rule));
        }
        o["lifecycle"] = std::move(rules);
    }
    if (b.public_access_block) {
        const auto& p = *b.public_access_block;
        o["public_access_block"] =
            json::object{{"block_public_acls", p.block_public_acls},
                         {"ignore_public_acls", p.ignore_public_acls},
                         {"block_public_policy", p.block_public_policy},
                         {"restrict_public_buckets", p.restrict_public_buckets}};
    }
    return o;
}

void settings_from_json(const json::object& o, Bucket& b) {
    b.name = str(o, "name");
    b.region = str(o, "region");
    b.created = from_millis(num(o, "created_ms"));
    if (const auto* enc = o.if_contains("encryption"); enc && enc->is_object()) {
        b.encryption.algorithm = str(enc->as_object(), "algorithm");
        b.encryption.kms_key_id = str(enc->as_object(), "kms_key_id");
        b.encryption.bucket_key_enabled = flag(enc->as_object(), "bucket_key_enabled");
    }
    if (const auto* policy = o.if_contains("policy"); policy && policy->is_string()) {
        b.policy_text = std::string(policy->as_string());
        auto parsed = parse_bucket_policy(*b.policy_text, b.name);
        if (parsed) b.policy = std::move(*parsed);
    }
    if (const auto* rules = o.if_contains("lifecycle"); rules && rules->is_array()) {
        b.lifecycle.emplace();
        for (const auto& item : rules->as_array()) {
            if (!item.is_object()) continue;
            const auto& r = item.as_object();
            LifecycleRule rule{str(r, "id"),       str(r, "prefix"), flag(r, "filter"),
                               flag(r, "enabled"), std::nullopt,     std::nullopt};
            if (r.contains("expiration_days"))
                rule.expiration_days = static_cast<int>(num(r, "expiration_days"));
            if (r.contains("abort_incomplete_upload_days"))
                rule.abort_incomplete_upload_days =
                    static_cast<int>(num(r, "abort_incomplete_upload_days"));
            b.lifecycle->push_back(std::move(rule));
        }
    }
    if (const auto* pab = o.if_contains("public_access_block"); pab && pab->is_object()) {
        const auto& p = pab->as_object();
        b.public_access_block =
            PublicAccessBlock{flag(p, "block_public_acls"), flag(p, "ignore_public_acls"),
                              flag(p, "block_public_policy"), flag(p, "restrict_public_buckets")};
    }
}

}  // namespace

TimePoint lifecycle_expiry(TimePoint written, int days) {
    auto due = std::chrono::floor<std::chrono::days>(written + days * kDay);
    return TimePoint(std::chrono::duration_cast<TimePoint::duration>(
        (due + std::chrono::days(1)).time_since_epoch()));
}

const LifecycleRule* expiration_rule(const Bucket& bucket, std::string_view key,
                                     TimePoint written) {
    if (!bucket.lifecycle) return nullptr;
    const LifecycleRule* best = nullptr;
    for (const auto& rule : *bucket.lifecycle) {
        if (!rule.enabled || !rule.expiration_days || !key.starts_with(rule.prefix)) continue;
        if (!best || lifecycle_expiry(written, *rule.expiration_days) <
                         lifecycle_expiry(written, *best->expiration_days))
            best = &rule;
    }
    return best;
}

S3Store::S3Store(std::string root) : root_(std::move(root)) {}

std::string S3Store::bucket_dir(std::string_view bucket) const {
    return root_ + "/" + std::string(bucket);
}

std::string S3Store::object_path(std::string_view bucket, std::string_view key) const {
    return bucket_dir(bucket) + "/objects/" + sha256_hex(key);
}

Status S3Store::load() {
    if (root_.empty()) return ok();
    std::error_code ec;
    fs::create_directories(root_, ec);
    if (ec) return make_error(Errc::internal, "create " + root_ + ": " + ec.message());
    for (const auto& entry : fs::directory_iterator(root_, ec)) {
        if (!entry.is_directory()) continue;
        auto bucket = load_bucket(entry.path().string());
        if (!bucket) return bucket.error().wrap("load S3 bucket");
        std::string name = bucket->name;
        buckets_[name] = std::move(*bucket);
    }
    if (ec) return make_error(Errc::internal, "list " + root_ + ": " + ec.message());
    return ok();
}

Result<Bucket> S3Store::load_bucket(const std::string& dir) const {
    auto settings = read_json(dir + "/bucket.json");
    if (!settings) return settings.error();
    Bucket bucket;
    settings_from_json(*settings, bucket);
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir + "/objects", ec)) {
        if (entry.path().extension() != ".json") continue;
        auto meta = read_json(entry.path().string());
        if (!meta) return meta.error();
        ObjectMeta m = meta_from_json(*meta);
        std::string key = m.key;
        bucket.objects[key] = StoredObject{std::move(m), {}};
    }
    return bucket;
}

Bucket* S3Store::find(std::string_view name) {
    auto it = buckets_.find(name);
    return it == buckets_.end() ? nullptr : &it->second;
}

Result<Bucket*> S3Store::create_bucket(const std::string& name, const std::string& region,
                                       TimePoint now) {
    Bucket bucket;
    bucket.name = name;
    bucket.region = region;
    bucket.created = now;
    if (!root_.empty()) {
        std::error_code ec;
        fs::create_directories(bucket_dir(name) + "/objects", ec);
        if (ec) return make_error(Errc::internal, "create bucket dir: " + ec.message());
        if (auto saved = write_file(bucket_dir(name) + "/bucket.json",
                                    json::serialize(settings_json(bucket)));
            !saved)
            return saved.error();
    }
    auto [it, inserted] = buckets_.emplace(name, std::move(bucket));
    return &it->second;
}

Status S3Store::delete_bucket(std::string_view name) {
    auto it = buckets_.find(name);
    if (it == buckets_.end()) return ok();
    if (!root_.empty()) {
        std::error_code ec;
        fs::remove_all(bucket_dir(name), ec);
        if (ec) return make_error(Errc::internal, "remove bucket dir: " + ec.message());
    }
    buckets_.erase(it);
    return ok();
}

Status S3Store::save_settings(const Bucket& bucket) {
    if (root_.empty()) return ok();
    return write_file(bucket_dir(bucket.name) + "/bucket.json",
                      json::serialize(settings_json(bucket)));
}

Result<const ObjectMeta*> S3Store::put_object(Bucket& bucket, ObjectMeta meta,
                                              std::string_view data) {
    StoredObject stored{std::move(meta), {}};
    if (root_.empty()) {
        stored.data = std::string(data);
    } else {
        std::string path = object_path(bucket.name, stored.meta.key);
        if (auto w = write_file(path + ".data", data); !w) return w.error();
        if (auto w = write_file(path + ".json", json::serialize(meta_json(stored.meta))); !w)
            return w.error();
    }
    std::string key = stored.meta.key;
    auto& slot = bucket.objects[key];
    slot = std::move(stored);
    return &slot.meta;
}

Result<std::string> S3Store::read_object(const Bucket& bucket, const ObjectMeta& meta,
                                         std::uint64_t offset, std::uint64_t length) const {
    if (offset + length > meta.size)
        return make_error(Errc::invalid_argument, "range beyond the object");
    if (root_.empty()) {
        auto it = bucket.objects.find(meta.key);
        if (it == bucket.objects.end()) return make_error(Errc::not_found, "no such object");
        return it->second.data.substr(offset, length);
    }
    return read_range(object_path(bucket.name, meta.key) + ".data", offset, length);
}

Status S3Store::delete_object(Bucket& bucket, std::string_view key) {
    auto it = bucket.objects.find(key);
    if (it == bucket.objects.end()) return ok();
    if (!root_.empty()) {
        std::string path = object_path(bucket.name, key);
        // The sidecar goes first: an object without metadata is never loaded again.
        for (const std::string& file : {path + ".json", path + ".data"}) {
            if (::unlink(file.c_str()) != 0 && errno != ENOENT)
                return errno_error("unlink " + file, errno);
        }
    }
    bucket.objects.erase(it);
    return ok();
}

void S3Store::expire_objects(Bucket& bucket, TimePoint now) {
    if (!bucket.lifecycle) return;
    std::vector<std::string> expired;
    for (const auto& [key, object] : bucket.objects) {
        const auto* rule = expiration_rule(bucket, key, object.meta.last_modified);
        if (rule && lifecycle_expiry(object.meta.last_modified, *rule->expiration_days) <= now)
            expired.push_back(key);
    }
    for (const auto& key : expired)
        (void)delete_object(bucket, key);
}

}  // namespace sockerless::awssim
