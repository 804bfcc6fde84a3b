#include "TmpfsMount.h"

#include <sys/mount.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <system_error>

#include "support/TempDir.h"

namespace dms::faults {
namespace {

std::string errnoText() {
  return std::error_code(errno, std::generic_category()).message();
}

}  // namespace

TmpfsMount::TmpfsMount(std::filesystem::path folder, std::uint64_t sizeBytes)
    : folder_(std::move(folder)), sizeBytes_(sizeBytes) {
  struct stat info {};
  if (::stat(folder_.c_str(), &info) != 0)
    throw std::runtime_error("cannot mount over " + folder_.string() + ": " + errnoText());
  owner_ = info.st_uid;
  group_ = info.st_gid;
  mode_ = info.st_mode & 07777;
  if (::mount("tmpfs", folder_.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, options().c_str()) != 0)
    throw std::runtime_error("mount -t tmpfs over " + folder_.string() + ": " + errnoText());
}

TmpfsMount::~TmpfsMount() {
  // MNT_DETACH: a server that still has a file open there must not keep the mount alive.
  ::umount2(folder_.c_str(), MNT_DETACH);
}

std::string TmpfsMount::options() const {
  char mode[8];
  std::snprintf(mode, sizeof mode, "%o", static_cast<unsigned>(mode_));
  return "size=" + std::to_string(sizeBytes_) + ",uid=" + std::to_string(owner_) +
         ",gid=" + std::to_string(group_) + ",mode=" + mode;
}

void TmpfsMount::remount(unsigned long flags) {
  if (::mount("tmpfs", folder_.c_str(), "tmpfs", MS_REMOUNT | MS_NOSUID | MS_NODEV | flags,
              options().c_str()) != 0)
    throw std::runtime_error("remount of " + folder_.string() + ": " + errnoText());
}

void TmpfsMount::resize(std::uint64_t sizeBytes) {
  sizeBytes_ = sizeBytes;
  remount(readOnly_ ? MS_RDONLY : 0);
}

void TmpfsMount::setReadOnly(bool readOnly) {
  readOnly_ = readOnly;
  remount(readOnly_ ? MS_RDONLY : 0);
}

std::string TmpfsMount::unavailableReason() {
  test::TempDir scratch("dms-mount-probe");
  if (::mount("tmpfs", scratch.path().c_str(), "tmpfs", 0, "size=64k") != 0)
    return "cannot mount a tmpfs here (" + errnoText() + "; the fault tests need root)";
  ::umount2(scratch.path().c_str(), MNT_DETACH);
  return "";
}

}  // namespace dms::faults
