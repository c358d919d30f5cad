#pragma once
// The simulated account's S3 buckets and objects.
//
// With a root directory, object bytes live on disk (so large payloads do not stay in memory) with
// their metadata in a JSON sidecar, and bucket settings in bucket.json; a store opened on the same
// directory later finds them again (load()). With an empty root everything stays in memory (unit
// tests). Names and keys are never used as file names: objects are stored under the SHA-256 of
// their key, so any key S3 accepts is safe.
//
// Layout: <root>/<bucket>/bucket.json, <root>/<bucket>/objects/<sha256(key)>{.data,.json}

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "s3_policy.h"

namespace sockerless::awssim {

using TimePoint = std::chrono::system_clock::time_point;

struct ObjectMeta {
    std::string key;
    std::uint64_t size = 0;
    std::string etag;  // quoted hex MD5, as S3 returns it
    TimePoint last_modified;
    // Representation headers stored with the object (lowercase names): content-type,
    // cache-control, content-disposition, content-encoding, content-language, expires.
    std::map<std::string, std::string> headers;
    std::map<std::string, std::string> metadata;  // x-amz-meta-NAME -> value, NAME lowercase
    std::string sse;                              // "AES256" or "aws:kms"
    std::string kms_key_id;
    bool bucket_key_enabled = false;
    std::string checksum_algorithm;  // "CRC32"... when the writer sent a flexible checksum
    std::string checksum;            // its base64 value
};

struct LifecycleRule {
    std::string id;
    std::string prefix;
    bool filter = true;  // the rule used <Filter> (false: the legacy top-level <Prefix>)
    bool enabled = true;
    std::optional<int> expiration_days;
    std::optional<int> abort_incomplete_upload_days;
};

struct BucketEncryption {
    std::string algorithm = "AES256";  // "AES256" or "aws:kms"
    std::string kms_key_id;
    bool bucket_key_enabled = false;
};

struct PublicAccessBlock {
    bool block_public_acls = false;
    bool ignore_public_acls = false;
    bool block_public_policy = false;
    bool restrict_public_buckets = false;
};

struct StoredObject {
    ObjectMeta meta;
    std::string data;  // the bytes, in memory mode only
};

struct Bucket {
    std::string name;
    std::string region;
    TimePoint created;
    std::optional<std::string> policy_text;  // as the owner sent it
    std::optional<BucketPolicy> policy;      // parsed policy_text
    std::optional<std::vector<LifecycleRule>> lifecycle;
    // Every bucket has default encryption (SSE-S3 unless configured otherwise), as on S3 since
    // January 2023.
    BucketEncryption encryption;
    std::optional<PublicAccessBlock> public_access_block;
    std::map<std::string, StoredObject, std::less<>> objects;
};

// The instant an object written at `written` expires under a rule of `days` days: S3 adds the
// days and rounds up to the next midnight UTC.
TimePoint lifecycle_expiry(TimePoint written, int days);

// The enabled Expiration rule that applies to `key` soonest, if any.
const LifecycleRule* expiration_rule(const Bucket& bucket, std::string_view key, TimePoint written);

class S3Store {
public:
    // `root` is the directory for bucket data; "" keeps everything in memory.
    explicit S3Store(std::string root);

    // Picks up the buckets an earlier store left under the root.
    Status load();

    Bucket* find(std::string_view name);
    [[nodiscard]] const std::map<std::string, Bucket, std::less<>>& buckets() const {
        return buckets_;
    }

    Result<Bucket*> create_bucket(const std::string& name, const std::string& region,
                                  TimePoint now);
    // Removes a bucket and whatever is stored for it; the caller checks it is empty.
    Status delete_bucket(std::string_view name);
    // Persists the bucket's settings after the caller changed them.
    Status save_settings(const Bucket& bucket);

    // Stores `data` under meta.key, replacing any object of that key.
    Result<const ObjectMeta*> put_object(Bucket& bucket, ObjectMeta meta, std::string_view data);
    // `length` bytes from `offset` of a stored object.
    Result<std::string> read_object(const Bucket& bucket, const ObjectMeta& meta,
                                    std::uint64_t offset, std::uint64_t length) const;
    // Idempotent: deleting a missing key succeeds.
    Status delete_object(Bucket& bucket, std::string_view key);

    // Deletes the objects whose lifecycle expiration has passed at `now`.
    void expire_objects(Bucket& bucket, TimePoint now);

private:
    [[nodiscard]] std::string bucket_dir(std::string_view bucket) const;
    [[nodiscard]] std::string object_path(std::string_view bucket, std::string_view key) const;
    Result<Bucket> load_bucket(const std::string& dir) const;

    std::string root_;
    std::map<std::string, Bucket, std::less<>> buckets_;
};

}  // namespace sockerless::awssim
