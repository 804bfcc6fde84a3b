#pragma once
/// A small tmpfs mounted by a fault test over a folder of its throwaway world, to make the
/// document target really full (ENOSPC) or really read-only (EROFS) for the product and for
/// Apache alike. Needs root (CI runs the tests as root); available() says why it cannot mount.
/// The destructor always unmounts (lazily, so a process still inside cannot keep it).

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <string>

namespace dms::faults {

class TmpfsMount {
 public:
  /// Mounts a tmpfs of `sizeBytes` over `folder` (which must exist), owned by the folder's
  /// owner with its mode, so the server that wrote there before may write there still.
  /// Throws std::runtime_error naming the folder and the reason.
  TmpfsMount(std::filesystem::path folder, std::uint64_t sizeBytes);
  ~TmpfsMount();
  TmpfsMount(const TmpfsMount&) = delete;
  TmpfsMount& operator=(const TmpfsMount&) = delete;

  /// Remounts with another size (growing it removes the "target full" fault).
  void resize(std::uint64_t sizeBytes);
  /// Remounts read-only or read-write again, keeping the contents.
  void setReadOnly(bool readOnly);

  /// "" when this process may mount a tmpfs (tried on a scratch folder), else the reason.
  static std::string unavailableReason();

 private:
  void remount(unsigned long flags);
  std::string options() const;

  std::filesystem::path folder_;
  std::uint64_t sizeBytes_;
  uid_t owner_;
  gid_t group_;
  mode_t mode_;
  bool readOnly_ = false;
};

}  // namespace dms::faults
