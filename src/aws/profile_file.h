#pragma once
// The shared AWS config and credentials files (~/.aws/config, ~/.aws/credentials): INI as the AWS
// SDKs read it. Pure parsing; locating and reading the files is the credential chain's job.
//
// Rules (botocore's configloader plus the SDKs' shared file-format reference):
//   - "[name]" opens a profile in the credentials file; in the config file it must be
//     "[profile name]", except "[default]". Other config sections (sso-session, services) are
//     not profiles and are skipped. Whitespace inside the brackets is ignored, and a comment may
//     follow the closing bracket.
//   - "key = value": keys are case-insensitive (stored lowercased), both sides trimmed.
//   - Lines starting with '#' or ';' are comments; in a value, '#' or ';' preceded by whitespace
//     starts one (access keys, secrets and session tokens never contain whitespace).
//   - An indented line after a property continues it (nested settings such as "s3 =" blocks);
//     such lines are skipped, since nothing here reads nested settings.
//   - A profile that appears twice is merged, later values winning.

#include <functional>
#include <map>
#include <string>
#include <string_view>

namespace sockerless::aws {

using ProfileSettings = std::map<std::string, std::string, std::less<>>;
using Profiles = std::map<std::string, ProfileSettings, std::less<>>;

enum class ProfileFileKind { config, credentials };

// Never fails: lines the SDKs would not understand are ignored, as they ignore them.
Profiles parse_profile_file(std::string_view text, ProfileFileKind kind);

}  // namespace sockerless::aws
