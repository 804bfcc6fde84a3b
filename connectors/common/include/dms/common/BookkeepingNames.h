#pragma once
/// The names connectors use for their own files next to the user's files. Every such name
/// starts with ".dms-", which PathRules refuses in user paths, so the two can never collide:
///
///   makeTempName("kart.pdf")    -> ".dms-tmp-<16 hex>-kart.pdf"   (put in progress)
///   sidecarName("kart.pdf")     -> ".dms-meta-kart.pdf.json"       (metadata sidecar)
///   isBookkeepingName(n)        -> list() skips it
///   isTempName(n)               -> recover() deletes it
///   fileOfSidecar(".dms-meta-kart.pdf.json") -> "kart.pdf" (or "" if not a sidecar name)
///   kMetadataModeMarker         -> ".dms-metadata-mode" at a target's root: how the target keeps
///                                  metadata, once a connector has decided it

#include <string>
#include <string_view>

namespace dms::common {

/// Prefix of every bookkeeping name (temporaries, sidecars, probes).
inline constexpr std::string_view kBookkeepingPrefix = ".dms-";
inline constexpr std::string_view kTempPrefix = ".dms-tmp-";
inline constexpr std::string_view kSidecarPrefix = ".dms-meta-";
inline constexpr std::string_view kSidecarSuffix = ".json";
inline constexpr std::string_view kMetadataModeMarker = ".dms-metadata-mode";

/// A fresh temporary name for a put of `finalName` into the same folder: random (64 bits
/// from std::random_device) so concurrent puts never collide, and at most 255 bytes (the
/// final name is cut at a UTF-8 boundary if needed; it is only there to help people).
std::string makeTempName(std::string_view finalName);

/// True for every name a connector owns (never listed, never accepted from callers).
bool isBookkeepingName(std::string_view name);

/// True for temporaries that an interrupted put may have left behind.
bool isTempName(std::string_view name);

/// The sidecar holding the metadata of `fileName` in the same folder.
std::string sidecarName(std::string_view fileName);

/// The file a sidecar name belongs to, or "" if `name` is not a sidecar name.
std::string fileOfSidecar(std::string_view name);

}  // namespace dms::common
