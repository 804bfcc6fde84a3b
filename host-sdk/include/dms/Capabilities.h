#pragma once
/// What a document target offers beyond the mandatory core. Fields are only ever appended
/// (like SQLite's sqlite3_vfs), so a host built against an older SDK minor can read a record
/// made by a newer connector of the same interface version.

namespace dms {

struct Capabilities {
  /// Metadata is stored by the target itself (xattrs, WebDAV dead properties), not in a
  /// sidecar file that a person browsing the folder would see.
  bool nativeMetadata = false;
  /// put() places the file under its final name in one atomic step (rename/MOVE).
  bool atomicPut = false;
  /// move() is available (server-side, without re-sending the content).
  bool move = false;
  /// The target reports a modification time in EntryInfo.
  bool modificationTime = false;
};

}  // namespace dms
