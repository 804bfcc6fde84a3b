#include "dms/filesystem/FilesystemTarget.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <set>
#include <sstream>
#include <streambuf>
#include <system_error>
#include <vector>

#include "FileReadStream.h"
#include "FilesystemPutBatch.h"
#include "SharedSync.h"
#include "dms/common/BookkeepingNames.h"
#include "dms/common/ErrnoMapping.h"
#include "dms/common/MetadataRules.h"
#include "dms/common/PathRules.h"
#include "dms/common/SidecarCodec.h"
#include "dms/common/UniqueFd.h"

namespace dms::filesystem {

using common::baseName;
using common::childPath;
using common::errnoError;
using common::parentPath;
using common::quotePath;

namespace {

/// While a file is written, its writeback is started every this many bytes (TemporaryFileSink).
constexpr std::uint64_t kWritebackStepBytes = 8 * 1024 * 1024;
constexpr std::string_view kXattrPrefix = "user.dms.";
constexpr const char* kSource = "filesystem";

/// Removes a temporary file unless released (every failure path of put and writeSidecar).
class TempFileGuard {
 public:
  TempFileGuard(int folderFd, std::string name) : folderFd_(folderFd), name_(std::move(name)) {}
  ~TempFileGuard() {
    if (!name_.empty()) ::unlinkat(folderFd_, name_.c_str(), 0);
  }
  TempFileGuard(const TempFileGuard&) = delete;
  TempFileGuard& operator=(const TempFileGuard&) = delete;
  void release() { name_.clear(); }

 private:
  int folderFd_;
  std::string name_;
};

Status writeAll(int fd, const char* data, std::size_t size, const std::string& path) {
  while (size > 0) {
    const ssize_t written = ::write(fd, data, size);
    if (written < 0) {
      if (errno == EINTR) continue;
      return errnoError(errno, "cannot write", path);
    }
    data += written;
    size -= static_cast<std::size_t>(written);
  }
  return {};
}

/// renameat2(RENAME_NOREPLACE), or link+unlink where the filesystem does not offer it.
int renameNoReplace(int fromFd, const std::string& from, int toFd, const std::string& to) {
  if (::renameat2(fromFd, from.c_str(), toFd, to.c_str(), RENAME_NOREPLACE) == 0) return 0;
  if (errno != EINVAL && errno != ENOSYS) return -1;
  if (::linkat(fromFd, from.c_str(), toFd, to.c_str(), 0) != 0) return -1;
  ::unlinkat(fromFd, from.c_str(), 0);
  return 0;
}

/// errno values meaning "this file has no sidecar": missing, or a name too long to have one.
bool noSidecar(int error) {
  return error == ENOENT || error == ENAMETOOLONG;
}

std::int64_t mtimeOf(const struct stat& st) {
  return static_cast<std::int64_t>(st.st_mtim.tv_sec);
}

EntryInfo entryFrom(const std::string& path, const struct stat& st) {
  EntryInfo info;
  info.path = path;
  info.name = baseName(path);
  info.type = S_ISDIR(st.st_mode) ? EntryType::Folder : EntryType::File;
  info.size = S_ISDIR(st.st_mode) ? 0 : static_cast<std::uint64_t>(st.st_size);
  info.modifiedEpochSeconds = mtimeOf(st);
  return info;
}

Result<Metadata> readXattrs(int fd, const std::string& path) {
  std::vector<char> names;
  while (true) {
    const ssize_t size = ::flistxattr(fd, nullptr, 0);
    if (size < 0) return errnoError(errno, "cannot list metadata of", path);
    names.resize(static_cast<std::size_t>(size));
    const ssize_t got = size == 0 ? 0 : ::flistxattr(fd, names.data(), names.size());
    if (got >= 0) {
      names.resize(static_cast<std::size_t>(got));
      break;
    }
    if (errno != ERANGE) return errnoError(errno, "cannot list metadata of", path);
  }
  Metadata metadata;
  for (std::size_t start = 0; start < names.size();) {
    const std::string name(names.data() + start);
    start += name.size() + 1;
    if (!name.starts_with(kXattrPrefix)) continue;
    std::string value;
    while (true) {
      const ssize_t size = ::fgetxattr(fd, name.c_str(), nullptr, 0);
      if (size < 0) return errnoError(errno, "cannot read metadata of", path);
      value.resize(static_cast<std::size_t>(size));
      const ssize_t got = size == 0 ? 0 : ::fgetxattr(fd, name.c_str(), value.data(), value.size());
      if (got >= 0) {
        value.resize(static_cast<std::size_t>(got));
        break;
      }
      if (errno != ERANGE) return errnoError(errno, "cannot read metadata of", path);
    }
    metadata.emplace(name.substr(kXattrPrefix.size()), std::move(value));
  }
  return metadata;
}

/// Sets every key of `metadata` as an xattr on `fd`, adding to or replacing what is there. One
/// name buffer for all keys: no allocation a key (~17 a filed file).
Status setXattrs(int fd, const Metadata& metadata, const std::string& path) {
  std::string name(kXattrPrefix);
  for (const auto& [key, value] : metadata) {
    name.resize(kXattrPrefix.size());
    name += key;
    if (::fsetxattr(fd, name.c_str(), value.data(), value.size(), 0) == 0) continue;
    const int error = errno;
    auto failure = errnoError(error, "cannot store metadata key '" + key + "' of", path);
    if (error == ENOSPC || error == E2BIG || error == ERANGE) {
      failure.message +=
          " (the filesystem limits extended attribute sizes; metadata: sidecar has no limit)";
    }
    return failure;
  }
  return {};
}

/// Sets `metadata` as xattrs on `fd` and removes our other keys.
Status replaceXattrs(int fd, const Metadata& metadata, const std::string& path) {
  auto existing = readXattrs(fd, path);
  if (!existing) return existing.error();
  if (auto ok = setXattrs(fd, metadata, path); !ok) return ok;
  for (const auto& [key, value] : *existing) {
    if (metadata.count(key)) continue;
    const auto name = std::string(kXattrPrefix) + key;
    if (::fremovexattr(fd, name.c_str()) != 0 && errno != ENODATA)
      return errnoError(errno, "cannot remove metadata key '" + key + "' of", path);
  }
  return {};
}

/// A temporary file as a stream buffer with no buffer of its own for bulk writes:
/// `out << content.rdbuf()` hands xsputn the content's own get area (libstdc++ copies one
/// stream buffer into another a get area at a time), so the bytes go from the buffer they were
/// received into (a download's ring slot, tests/bench/README.md row 3) straight into write(),
/// with no copy through a buffer of ours between. Single characters (a content whose buffer
/// holds one at a time) are gathered in a small put area, so they cost no write each.
///
/// `startWriteback` (the target syncs): every kWritebackStepBytes the kernel is asked to start
/// writing what was just written (sync_file_range, asynchronous), so the disk works while the
/// rest arrives and the one sync at commit finds little left (a 1 GiB file left ~0.9 s of
/// syncfs for the end, tests/bench/README.md row 3). A hint, not a durability step: the
/// commit's sync still is, and reports any write error.
class TemporaryFileSink final : public std::streambuf {
 public:
  TemporaryFileSink(int fd, const std::string& path, bool startWriteback)
      : fd_(fd), path_(path), startWriteback_(startWriteback) {}

  std::uint64_t written() const { return written_; }
  /// The first write error; nothing is written after it.
  const std::optional<Error>& error() const { return error_; }

 protected:
  std::streamsize xsputn(const char* data, std::streamsize size) override {
    if (!flushGathered()) return 0;
    for (std::streamsize done = 0; done < size;) {
      const auto piece = std::min(kMostBytesAWrite, static_cast<std::size_t>(size - done));
      if (!write(data + done, piece)) return 0;
      done += static_cast<std::streamsize>(piece);
    }
    return size;
  }

  int_type overflow(int_type c) override {
    if (!flushGathered()) return traits_type::eof();
    if (traits_type::eq_int_type(c, traits_type::eof())) return traits_type::not_eof(c);
    if (!gathered_) gathered_ = std::make_unique_for_overwrite<char[]>(kGatherBytes);
    setp(gathered_.get(), gathered_.get() + kGatherBytes);
    *pptr() = traits_type::to_char_type(c);
    pbump(1);
    return c;
  }

  int sync() override { return flushGathered() ? 0 : -1; }

 private:
  bool flushGathered() {
    if (pptr() == pbase()) return !error_;
    const auto size = static_cast<std::size_t>(pptr() - pbase());
    setp(pbase(), epptr());
    return write(pbase(), size);
  }

  bool write(const char* data, std::size_t size) {
    if (error_) return false;
    if (auto ok = writeAll(fd_, data, size, path_); !ok) {
      error_ = ok.error();
      return false;
    }
    written_ += size;
    if (startWriteback_ && written_ - writebackStarted_ >= kWritebackStepBytes) {
      // The step before: its writeback began a step ago; wait for it and let its pages go, so
      // a big file's page cache stays at two steps instead of growing by the whole file. With
      // the whole file cached, every other 2 GiB download ran ~2x slower in the kernel's copy
      // into the page cache; with the pages let go, 12 of 12 ran at the fast speed (1.1x curl,
      // tests/bench/README.md row 3). Clean pages only: what is durable when is unchanged.
      if (writebackStarted_ > pagesDropped_) {
        const auto len = static_cast<off_t>(writebackStarted_ - pagesDropped_);
        ::sync_file_range(
            fd_, static_cast<off_t>(pagesDropped_), len,
            SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER);
        ::posix_fadvise(fd_, static_cast<off_t>(pagesDropped_), len, POSIX_FADV_DONTNEED);
        pagesDropped_ = writebackStarted_;
      }
      ::sync_file_range(fd_, static_cast<off_t>(writebackStarted_),
                        static_cast<off_t>(written_ - writebackStarted_), SYNC_FILE_RANGE_WRITE);
      writebackStarted_ = written_;
    }
    return true;
  }

  static constexpr std::size_t kGatherBytes = 4096;
  /// A content's buffer is written in pieces of at most this: the 1 MiB ring slots written
  /// whole made a 256 MiB download 2x slower in 2 of 3 rounds (the kernel's copy into the page
  /// cache, copy_folio_from_iter_atomic, took two thirds of dms-host's samples), 64 KiB pieces
  /// (what the connector wrote before) did not (tests/bench/README.md, branch bigcopy).
  static constexpr std::size_t kMostBytesAWrite = 64 * 1024;

  int fd_;
  const std::string& path_;
  bool startWriteback_;
  std::uint64_t written_ = 0;
  std::uint64_t writebackStarted_ = 0;
  std::uint64_t pagesDropped_ = 0;
  std::optional<Error> error_;
  std::unique_ptr<char[]> gathered_;
};

/// Copies what is left of `content` into `fd` (TemporaryFileSink); the bytes copied. A content
/// that fails (its stream buffer throws, or leaves the stream bad) is DataLoss naming where.
Result<std::uint64_t> copyContent(std::istream& content, int fd, const std::string& path,
                                  bool startWriteback) {
  TemporaryFileSink sink(fd, path, startWriteback);
  std::ostream out(&sink);
  // The content's exception, caught by `<<`, is thrown again (failbit): its message is kept.
  out.exceptions(std::ios::failbit | std::ios::badbit);
  const auto failedAfter = [&] {
    return "reading the content for " + quotePath(path) + " failed after " +
           std::to_string(sink.written()) + " bytes";
  };
  try {
    // `<<` calls copying nothing a failure: an empty (or already read) content is not copied.
    if (content &&
        !std::istream::traits_type::eq_int_type(content.peek(), std::istream::traits_type::eof()))
      out << content.rdbuf();
    out.flush();
    // The copy leaves the content's state alone: this sets eofbit at its end, or badbit when
    // its stream buffer fails again (a DownloadBody does on every read after a failure).
    content.peek();
  } catch (const std::exception& e) {
    if (sink.error()) return *sink.error();
    return fail(ErrorCode::DataLoss, failedAfter() + ": " + e.what());
  } catch (...) {
    if (sink.error()) return *sink.error();
    return fail(ErrorCode::DataLoss, failedAfter());
  }
  if (sink.error()) return *sink.error();
  if (content.bad()) return fail(ErrorCode::DataLoss, failedAfter());
  return sink.written();
}

/// Renames the finished temporary to its name: without replacing anything for CreateNew
/// (removing the sidecar just written when someone else's file took the name meanwhile).
Status placeTemporary(int folder, const std::string& tempName, const std::string& name,
                      const std::string& path, PutMode mode, bool withSidecar) {
  if (mode == PutMode::CreateNew) {
    if (renameNoReplace(folder, tempName, folder, name) == 0) return {};
    const int error = errno;
    if (error == EEXIST) {
      // It appeared between the check and the rename: our sidecar must not describe it.
      if (withSidecar) ::unlinkat(folder, common::sidecarName(name).c_str(), 0);
      return fail(ErrorCode::AlreadyExists, "cannot create " + quotePath(path) + ": it exists");
    }
    return errnoError(error, "cannot rename the temporary file to", path);
  }
  if (::renameat(folder, tempName.c_str(), folder, name.c_str()) != 0)
    return errnoError(errno, "cannot rename the temporary file to", path);
  return {};
}

/// Whether the entry `name` of `folderFd` is a folder (a symlink to one is not): the type the
/// listing gave (no system call a file: a recover() walk lists every filed file), a stat only
/// where the filesystem gives none (DT_UNKNOWN).
bool isFolderEntry(int folderFd, const std::string& name, unsigned char listedType) {
  if (listedType != DT_UNKNOWN) return listedType == DT_DIR;
  struct stat st {};
  return ::fstatat(folderFd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
}

/// Whether the filesystem of the root folder takes user extended attributes: 0 if it does,
/// else the errno of the refusal. The root folder itself is tried first (set, then removed):
/// no file is created, which cost ~0.7 ms of a short run's inode allocation on a busy ext4
/// (issue 15, startcost); a kill between the two leaves the attribute, which the next open
/// removes. Where that is refused for another reason than support (a sticky
/// folder of another owner, no write permission, a read-only filesystem), a bookkeeping-named
/// file is probed as before, which also says whether the folder can be written at all; a crash
/// there leaves a temporary for recover().
Result<int> probeExtendedAttributes(int rootFd, const std::string& root) {
  if (::fsetxattr(rootFd, "user.dms.probe", "1", 1, 0) == 0) {
    ::fremovexattr(rootFd, "user.dms.probe");
    return 0;
  }
  if (errno == EOPNOTSUPP) return errno;  // ENOTSUP: the same value on Linux
  const auto probeName = common::makeTempName("xattr-probe");
  UniqueFd probe(::openat(rootFd, probeName.c_str(),
                          O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (probe.get() < 0) {
    const int error = errno;
    return fail(common::errorCodeForErrno(error),
                "cannot write in root folder '" + root +
                    "': " + std::error_code(error, std::generic_category()).message());
  }
  const int error = ::fsetxattr(probe.get(), "user.dms.probe", "1", 1, 0) == 0 ? 0 : errno;
  probe.reset();
  ::unlinkat(rootFd, probeName.c_str(), 0);
  return error;
}

}  // namespace

FilesystemTarget::FilesystemTarget(int rootFd, std::string root, MetadataMode mode, bool fsync,
                                   Logger* logger)
    : rootFd_(rootFd),
      root_(std::move(root)),
      mode_(mode),
      fsync_(fsync),
      logger_(logger),
      syncfs_([](int fd) { return ::syncfs(fd) == 0 ? 0 : errno; }),
      sharedSync_(std::make_unique<SharedSync>(root_, [this](int slot) {
        const int fd = syncFds_[static_cast<std::size_t>(slot)];
        return syncfs_(fd >= 0 ? fd : rootFd_);
      })) {
  // Opened together, now: each is told of every writeback error after this moment.
  for (int slot = 0; slot < SharedSync::kMostInFlight; ++slot)
    syncFds_.push_back(::openat(rootFd_, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
}

FilesystemTarget::~FilesystemTarget() {
  // Folders made since the last put or batch: durable before the target goes (best effort).
  (void)syncNewFolders();
  for (const int fd : syncFds_)
    if (fd >= 0) ::close(fd);
  ::close(rootFd_);
}

Result<std::unique_ptr<FilesystemTarget>> FilesystemTarget::open(const FilesystemOptions& options,
                                                                 Logger* logger) {
  if (options.root.empty()) return fail(ErrorCode::InvalidArgument, "target.root is empty");
  std::error_code ec;
  const auto root = std::filesystem::absolute(options.root, ec).lexically_normal().string();
  if (ec)
    return fail(ErrorCode::InvalidArgument, "target.root '" + options.root + "': " + ec.message());
  std::filesystem::create_directories(root, ec);
  if (ec) {
    return fail(common::errorCodeForErrno(ec.value()),
                "cannot create root folder '" + root + "': " + ec.message());
  }
  UniqueFd rootFd(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (rootFd.get() < 0) {
    const int error = errno;
    return fail(common::errorCodeForErrno(error),
                "cannot open root folder '" + root +
                    "': " + std::error_code(error, std::generic_category()).message());
  }

  MetadataMode mode = options.metadata;
  if (mode != MetadataMode::Sidecar) {
    auto probed = probeExtendedAttributes(rootFd.get(), root);
    if (!probed) return probed.error();
    const int error = *probed;
    const bool supported = error == 0;
    if (!supported && mode == MetadataMode::ExtendedAttributes) {
      return fail(ErrorCode::NotSupported,
                  "target.metadata is \"xattr\" but the filesystem of '" + root +
                      "' does not take user extended attributes (" +
                      std::error_code(error, std::generic_category()).message() +
                      "); use \"sidecar\" or \"auto\"");
    }
    mode = supported ? MetadataMode::ExtendedAttributes : MetadataMode::Sidecar;
  }
  std::unique_ptr<FilesystemTarget> target(
      new FilesystemTarget(rootFd.release(), root, mode, options.fsync, logger));
  target->log(LogLevel::Info, "opened " + target->describe() + " (metadata: " +
                                  (mode == MetadataMode::Sidecar ? "sidecar" : "xattr") +
                                  (options.fsync ? "" : ", fsync off") + ")");
  return target;
}

void FilesystemTarget::log(LogLevel level, const std::string& message) const {
  if (logger_ != nullptr) logger_->log(level, kSource, message);
}

Capabilities FilesystemTarget::capabilities() const {
  Capabilities caps;
  caps.nativeMetadata = mode_ == MetadataMode::ExtendedAttributes;
  caps.atomicPut = true;
  caps.move = true;
  caps.modificationTime = true;
  return caps;
}

std::string FilesystemTarget::describe() const {
  return "filesystem:" + root_;
}

Result<UniqueFd> FilesystemTarget::openBeneath(const std::string& path, int flags,
                                               const char* action, const std::string& about) const {
  const std::string& named = about.empty() ? path : about;
  struct open_how how {};
  how.flags = static_cast<std::uint64_t>(flags | O_CLOEXEC);
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  const char* relative = path.empty() ? "." : path.c_str();
  for (int attempt = 0;; ++attempt) {
    const long fd = ::syscall(SYS_openat2, rootFd_, relative, &how, sizeof how);
    if (fd >= 0) return UniqueFd(static_cast<int>(fd));
    const int error = errno;
    // EAGAIN: a concurrent rename raced the kernel's ".." check; simply try again.
    if ((error == EAGAIN || error == EINTR) && attempt < 16) continue;
    if (error == EXDEV || error == ELOOP) {
      return fail(ErrorCode::InvalidArgument,
                  std::string(action) + " " + quotePath(named) +
                      ": the path leads outside the root through a symbolic link");
    }
    return errnoError(error, action, named);
  }
}

Result<UniqueFd> FilesystemTarget::openParent(const std::string& path) const {
  const auto parent = parentPath(path);
  auto fd = openBeneath(parent, O_RDONLY | O_DIRECTORY, "cannot open parent folder of", path);
  if (!fd && fd.error().code == ErrorCode::NotFound) {
    return fail(ErrorCode::Conflict, "parent folder " + quotePath(parent) + " of " +
                                         quotePath(path) + " does not exist");
  }
  if (!fd && fd.error().code == ErrorCode::Conflict) {
    return fail(ErrorCode::Conflict,
                "parent " + quotePath(parent) + " of " + quotePath(path) + " is not a folder");
  }
  if (!fd) return fd.error();
  return std::move(*fd);
}

Status FilesystemTarget::syncFilesystem(std::uint64_t writesAfter) {
  return sharedSync_->syncAfterNow(writesAfter);
}

std::uint64_t FilesystemTarget::syncMark() {
  return sharedSync_->markBeforeWrites();
}

void FilesystemTarget::cancel() noexcept {
  sharedSync_->cancelWaits();
}

void FilesystemTarget::resume() noexcept {
  sharedSync_->resumeWaits();
}

Status FilesystemTarget::syncFolder(int folderFd, const std::string& path) const {
  if (fsync_ && ::fsync(folderFd) != 0) return errnoError(errno, "cannot fsync folder of", path);
  return {};
}

Status FilesystemTarget::ensureFolder(const std::string& rawPath) {
  auto path = common::normalisePath(rawPath, common::RootPolicy::Allow);
  if (!path) return path.error();
  // Most calls find the folder made already: one resolution from the root answers them.
  auto whole = openBeneath(*path, O_PATH | O_DIRECTORY, "cannot open folder");
  if (whole.ok()) return {};
  // A missing folder usually sits in one that exists (an order's folder in its reference's,
  // a category's in its order's): make only what is missing, from there. Anything else
  // (a file or a symlink in the way, a race) takes the walk from the root, which names what
  // is wrong.
  if (whole.error().code == ErrorCode::NotFound) {
    if (auto made = createBelowDeepestExisting(*path)) return *made;
  }
  return createFromRoot(*path);
}

std::optional<Status> FilesystemTarget::createBelowDeepestExisting(const std::string& path) {
  const auto segments = common::splitPath(path);
  // The deepest existing ancestor, probing upwards (the whole path was just found missing).
  std::size_t existing = segments.size() - 1;
  UniqueFd base;
  for (;; --existing) {
    const auto prefix = common::joinPath({segments.begin(), segments.begin() + existing});
    auto folder = openBeneath(prefix, O_RDONLY | O_DIRECTORY, "cannot open folder");
    if (folder) {
      base = std::move(*folder);
      break;
    }
    if (folder.error().code != ErrorCode::NotFound || existing == 0) return std::nullopt;
  }
  std::string prefix = common::joinPath({segments.begin(), segments.begin() + existing});
  for (std::size_t i = existing; i < segments.size(); ++i) {
    const auto parent = prefix;
    prefix = childPath(prefix, segments[i]);
    // EEXIST: someone made it (or put something there) meanwhile: the walk from the root decides.
    if (!makeFolder(base.get(), segments[i], parent))
      return errno == EEXIST
                 ? std::nullopt
                 : std::optional<Status>(errnoError(errno, "cannot create folder", prefix));
    if (i + 1 == segments.size()) break;
    // The folder just made, never a symlink swapped in for it (O_NOFOLLOW): no resolution
    // from the root needed to stay beneath it.
    UniqueFd next(
        ::openat(base.get(), segments[i].c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (next.get() < 0) return std::nullopt;
    base = std::move(next);
  }
  return Status{};
}

Status FilesystemTarget::createFromRoot(const std::string& path) {
  auto current = openBeneath("", O_RDONLY | O_DIRECTORY, "cannot open root for");
  if (!current) return current.error();
  std::string prefix;
  for (const auto& segment : common::splitPath(path)) {
    const auto parent = prefix;
    prefix = childPath(prefix, segment);
    if (!makeFolder(current->get(), segment, parent) && errno != EEXIST)
      return errnoError(errno, "cannot create folder", prefix);
    // Re-resolve from the root so a symlink in the way is checked like any other path.
    auto next = openBeneath(prefix, O_RDONLY | O_DIRECTORY, "cannot create folder", path);
    if (!next && next.error().code == ErrorCode::Conflict) {
      return fail(ErrorCode::Conflict, "cannot create folder " + quotePath(path) +
                                           ": a file is in the way at " + quotePath(prefix));
    }
    if (!next) return next.error();
    *current = std::move(*next);
  }
  return {};
}

bool FilesystemTarget::makeFolder(int parentFd, const std::string& name,
                                  const std::string& parent) {
  // Taken before the mkdir: a syncfs that ends after it may take the new entry's writeback
  // error, and the batch that syncs the folder must then fail (see unsyncedFoldersNow()).
  const std::uint64_t mark = fsync_ ? syncMark() : 0;
  if (::mkdirat(parentFd, name.c_str(), 0777) != 0) return false;
  // Synced with the first file put below it (or the next batch's syncfs), not one by one.
  if (fsync_) {
    std::lock_guard lock(newFoldersMutex_);
    unsyncedFolders_.emplace(parent, mark);  // an older mark stays
  }
  return true;
}

Status FilesystemTarget::checkFolderStillAt(int folderFd, const std::string& folder) const {
  const auto moved = [&] {
    return fail(ErrorCode::Conflict, "folder " + quotePath(folder) +
                                         " was moved or replaced while files were put into it");
  };
  auto atPath = openBeneath(folder, O_PATH | O_DIRECTORY, "cannot open folder");
  if (!atPath &&
      (atPath.error().code == ErrorCode::NotFound || atPath.error().code == ErrorCode::Conflict))
    return moved();
  if (!atPath) return atPath.error();
  struct stat held {};
  struct stat found {};
  if (::fstat(folderFd, &held) != 0 || ::fstat(atPath->get(), &found) != 0)
    return errnoError(errno, "cannot stat folder", folder);
  if (held.st_dev != found.st_dev || held.st_ino != found.st_ino) return moved();
  return {};
}

Status FilesystemTarget::syncNewFolders() {
  std::map<std::string, std::uint64_t> folders;
  {
    std::lock_guard lock(newFoldersMutex_);
    folders.swap(unsyncedFolders_);
  }
  std::set<std::string> paths;
  for (auto it = folders.begin(); it != folders.end(); ++it) {
    const std::string& path = it->first;
    paths.insert(path);
    auto folder = openBeneath(path, O_RDONLY | O_DIRECTORY, "cannot open folder");
    // Gone again (pruned by remove()): nothing of it left to make durable.
    if (!folder &&
        (folder.error().code == ErrorCode::NotFound || folder.error().code == ErrorCode::Conflict))
      continue;
    auto done = folder ? syncFolder(folder->get(), path) : Status(folder.error());
    if (!done) {
      std::lock_guard lock(newFoldersMutex_);
      unsyncedFolders_.insert(it, folders.end());
      return done;
    }
  }
  if (!paths.empty() && observer_ != nullptr) observer_->newFoldersSynced(paths);
  return {};
}

FilesystemTarget::UnsyncedFolders FilesystemTarget::unsyncedFoldersNow() const {
  std::lock_guard lock(newFoldersMutex_);
  UnsyncedFolders unsynced;
  for (const auto& [folder, mark] : unsyncedFolders_) {
    unsynced.parents.insert(folder);
    unsynced.madeAfter = std::min(unsynced.madeAfter, mark);
  }
  return unsynced;
}

void FilesystemTarget::forgetSyncedFolders(const std::set<std::string>& synced) {
  std::lock_guard lock(newFoldersMutex_);
  for (const auto& folder : synced) unsyncedFolders_.erase(folder);
}

void FilesystemTarget::remarkUnsyncedFolders(const std::set<std::string>& told) {
  const std::uint64_t now = syncMark();
  std::lock_guard lock(newFoldersMutex_);
  for (const auto& folder : told)
    if (auto it = unsyncedFolders_.find(folder); it != unsyncedFolders_.end()) it->second = now;
}

Result<EntryInfo> FilesystemTarget::put(const std::string& rawPath, std::istream& content,
                                        const Metadata& metadata, PutMode mode) {
  return putStaged(
      rawPath, content, [&]() -> Result<Metadata> { return metadata; }, mode);
}

Result<EntryInfo> FilesystemTarget::putStreaming(const std::string& rawPath, std::istream& content,
                                                 const MetadataAfterContent& metadata,
                                                 PutMode mode) {
  return putStaged(rawPath, content, metadata, mode);
}

Result<EntryInfo> FilesystemTarget::putStaged(const std::string& rawPath, std::istream& content,
                                              const MetadataAfterContent& metadata, PutMode mode) {
  auto staged = stage(rawPath, content, metadata, mode);
  if (!staged) return staged.error();
  const int folder = staged->folder->get();
  TempFileGuard tempGuard(folder, staged->tempName);
  if (fsync_ && ::fsync(staged->file.get()) != 0)
    return errnoError(errno, "cannot fsync", staged->info.path);
  // Folders ensureFolder() made for it are durable before the file appears in them.
  if (auto ok = syncNewFolders(); !ok) return ok.error();
  if (::close(staged->file.release()) != 0)
    return errnoError(errno, "cannot close", staged->info.path);
  // The folder may have been moved or replaced while the content arrived: the file must not
  // be renamed into it and reported placed under a path where it is not (as a batch's commit).
  if (auto there = checkFolderStillAt(folder, parentPath(staged->info.path)); !there)
    return there.error();
  if (auto ok = place(folder, *staged, staged->metadata); !ok) return ok.error();
  tempGuard.release();
  if (auto ok = syncFolder(folder, staged->info.path); !ok) return ok.error();
  return staged->info;
}

Result<FilesystemTarget::StagedFile> FilesystemTarget::stage(const std::string& rawPath,
                                                             std::istream& content,
                                                             const MetadataAfterContent& metadata,
                                                             PutMode mode,
                                                             FilesystemPutBatch* batch) const {
  auto normalised = common::normalisePath(rawPath, common::RootPolicy::Refuse);
  if (!normalised) return normalised.error();
  const std::string& path = *normalised;
  StagedFile staged;
  staged.name = baseName(path);
  staged.mode = mode;
  if (batch != nullptr) staged.folder = batch->folderOf(parentPath(path));
  if (!staged.folder) {
    auto parent = openParent(path);
    if (!parent) return parent.error();
    staged.folder = std::make_shared<const UniqueFd>(std::move(*parent));
  }
  const int folder = staged.folder->get();

  struct stat existing {};
  if (::fstatat(folder, staged.name.c_str(), &existing, AT_SYMLINK_NOFOLLOW) == 0) {
    if (mode == PutMode::CreateNew)
      return fail(ErrorCode::AlreadyExists, "cannot create " + quotePath(path) + ": it exists");
    if (S_ISDIR(existing.st_mode))
      return fail(ErrorCode::Conflict, "cannot replace " + quotePath(path) + ": it is a folder");
  } else if (errno != ENOENT) {
    return errnoError(errno, "cannot check", path);
  }

  staged.tempName = common::makeTempName(staged.name);
  staged.file = UniqueFd(::openat(folder, staged.tempName.c_str(),
                                  O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666));
  if (staged.file.get() < 0) return errnoError(errno, "cannot create a temporary file for", path);
  TempFileGuard tempGuard(folder, staged.tempName);

  auto total = copyContent(content, staged.file.get(), path, fsync_);
  if (!total) return total.error();

  // Metadata may name the content's size and hash: known only now.
  auto made = metadata();
  if (!made) return made.error();
  if (auto ok = common::validateMetadata(*made, path); !ok) return ok.error();
  staged.metadata = std::move(*made);
  // A fresh temporary has none of our keys: nothing to read or remove first.
  if (mode_ == MetadataMode::ExtendedAttributes) {
    if (auto ok = setXattrs(staged.file.get(), staged.metadata, path); !ok) return ok.error();
  }
  struct stat written {};
  if (::fstat(staged.file.get(), &written) != 0) return errnoError(errno, "cannot stat", path);
  staged.info = entryFrom(path, written);
  staged.info.size = *total;
  tempGuard.release();
  return staged;
}

Status FilesystemTarget::place(int folder, const StagedFile& staged,
                               const Metadata& metadata) const {
  const auto& path = staged.info.path;
  const bool withSidecar = mode_ == MetadataMode::Sidecar;
  if (withSidecar) {
    // Someone else's file took the name meanwhile: do not give it our sidecar.
    struct stat existing {};
    if (staged.mode == PutMode::CreateNew &&
        ::fstatat(folder, staged.name.c_str(), &existing, AT_SYMLINK_NOFOLLOW) == 0)
      return fail(ErrorCode::AlreadyExists, "cannot create " + quotePath(path) + ": it exists");
    // Before the file appears under its name, so a crash never shows a file whose metadata
    // is missing (an orphan sidecar is what recover() deletes).
    if (auto ok = writeSidecar(folder, staged.name, metadata, path); !ok) return ok;
  }
  return placeTemporary(folder, staged.tempName, staged.name, path, staged.mode, withSidecar);
}

std::unique_ptr<PutBatch> FilesystemTarget::beginPutBatch() {
  return std::make_unique<FilesystemPutBatch>(*this);
}

Result<UniqueFd> FilesystemTarget::openFile(const std::string& path) const {
  auto fd = openBeneath(path, O_RDONLY, "cannot open");
  if (!fd) return fd.error();
  struct stat st {};
  if (::fstat(fd->get(), &st) != 0) return errnoError(errno, "cannot stat", path);
  if (!S_ISREG(st.st_mode)) return fail(ErrorCode::Conflict, quotePath(path) + " is not a file");
  return fd;
}

Result<std::unique_ptr<std::istream>> FilesystemTarget::get(const std::string& rawPath) {
  auto path = common::normalisePath(rawPath, common::RootPolicy::Refuse);
  if (!path) return path.error();
  auto fd = openFile(*path);
  if (!fd) return fd.error();
  try {
    auto stream = std::make_unique<FileReadStream>(fd->release());
    return std::unique_ptr<std::istream>(std::move(stream));
  } catch (const std::exception& e) {
    return fail(ErrorCode::Internal, "cannot read " + quotePath(*path) + ": " + e.what());
  }
}

Result<Metadata> FilesystemTarget::readMetadata(const std::string& rawPath) {
  auto path = common::normalisePath(rawPath, common::RootPolicy::Refuse);
  if (!path) return path.error();
  auto fd = openFile(*path);
  if (!fd) return fd.error();
  if (mode_ == MetadataMode::ExtendedAttributes) return readXattrs(fd->get(), *path);
  auto parent = openParent(*path);
  if (!parent) return parent.error();
  return readSidecar(parent->get(), baseName(*path), *path);
}

Status FilesystemTarget::writeMetadata(const std::string& rawPath, const Metadata& metadata) {
  auto path = common::normalisePath(rawPath, common::RootPolicy::Refuse);
  if (!path) return path.error();
  if (auto ok = common::validateMetadata(metadata, *path); !ok) return ok;
  auto fd = openFile(*path);
  if (!fd) return fd.error();
  if (mode_ == MetadataMode::ExtendedAttributes) {
    if (auto ok = replaceXattrs(fd->get(), metadata, *path); !ok) return ok;
    if (fsync_ && ::fsync(fd->get()) != 0) return errnoError(errno, "cannot fsync", *path);
    return {};
  }
  auto parent = openParent(*path);
  if (!parent) return parent.error();
  return writeSidecar(parent->get(), baseName(*path), metadata, *path);
}

Status FilesystemTarget::writeSidecar(int folderFd, const std::string& name,
                                      const Metadata& metadata, const std::string& path) const {
  if (metadata.empty()) {
    if (::unlinkat(folderFd, common::sidecarName(name).c_str(), 0) != 0 && !noSidecar(errno))
      return errnoError(errno, "cannot remove the metadata sidecar of", path);
    return {};
  }
  std::string json;
  try {
    json = common::encodeSidecar(metadata);
  } catch (const std::exception& e) {
    return fail(ErrorCode::Internal,
                "cannot encode metadata of " + quotePath(path) + ": " + e.what());
  }
  return storeSidecarText(folderFd, name, json, path);
}

Status FilesystemTarget::storeSidecarText(int folderFd, const std::string& name,
                                          const std::string& json, const std::string& path) const {
  const auto sidecar = common::sidecarName(name);
  const auto tempName = common::makeTempName(sidecar);
  UniqueFd file(::openat(folderFd, tempName.c_str(),
                         O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666));
  if (file.get() < 0) return errnoError(errno, "cannot create the metadata sidecar of", path);
  TempFileGuard guard(folderFd, tempName);
  if (auto ok = writeAll(file.get(), json.data(), json.size(), path); !ok) return ok;
  if (fsync_ && ::fsync(file.get()) != 0)
    return errnoError(errno, "cannot fsync metadata of", path);
  if (::close(file.release()) != 0) return errnoError(errno, "cannot close metadata of", path);
  if (::renameat(folderFd, tempName.c_str(), folderFd, sidecar.c_str()) != 0)
    return errnoError(errno, "cannot store the metadata sidecar of", path);
  guard.release();
  return syncFolder(folderFd, path);
}

Result<Metadata> FilesystemTarget::readSidecar(int folderFd, const std::string& name,
                                               const std::string& path) const {
  auto json = readSidecarText(folderFd, name, path);
  if (!json) return json.error();
  if (!*json) return Metadata{};
  return common::decodeSidecar(**json,
                               quotePath(childPath(parentPath(path), common::sidecarName(name))));
}

Result<std::optional<std::string>> FilesystemTarget::readSidecarText(
    int folderFd, const std::string& name, const std::string& path) const {
  UniqueFd file(
      ::openat(folderFd, common::sidecarName(name).c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (file.get() < 0) {
    if (noSidecar(errno)) return std::optional<std::string>();
    return errnoError(errno, "cannot open the metadata sidecar of", path);
  }
  std::string json;
  char buffer[8192];
  while (true) {
    const ssize_t got = ::read(file.get(), buffer, sizeof buffer);
    if (got < 0) {
      if (errno == EINTR) continue;
      return errnoError(errno, "cannot read the metadata sidecar of", path);
    }
    if (got == 0) break;
    json.append(buffer, static_cast<std::size_t>(got));
  }
  return std::optional<std::string>(std::move(json));
}

Result<EntryInfo> FilesystemTarget::stat(const std::string& rawPath) {
  auto path = common::normalisePath(rawPath, common::RootPolicy::Allow);
  if (!path) return path.error();
  auto fd = openBeneath(*path, O_PATH, "cannot stat");
  if (!fd) return fd.error();
  struct stat st {};
  if (::fstat(fd->get(), &st) != 0) return errnoError(errno, "cannot stat", *path);
  return entryFrom(*path, st);
}

Result<std::vector<EntryInfo>> FilesystemTarget::list(const std::string& rawFolder) {
  auto folder = common::normalisePath(rawFolder, common::RootPolicy::Allow);
  if (!folder) return folder.error();
  auto fd = openBeneath(*folder, O_RDONLY | O_DIRECTORY, "cannot list");
  if (!fd) return fd.error();
  const int folderFd = fd->get();
  DIR* dir = ::fdopendir(fd->release());
  if (dir == nullptr) return errnoError(errno, "cannot list", *folder);
  std::unique_ptr<DIR, int (*)(DIR*)> owner(dir, &::closedir);

  std::vector<EntryInfo> entries;
  while (true) {
    // readdir reports errors only through errno, which the checks below may have set.
    errno = 0;
    const dirent* entry = ::readdir(dir);
    if (entry == nullptr) {
      if (errno != 0) return errnoError(errno, "cannot list", *folder);
      break;
    }
    const std::string name = entry->d_name;
    if (name == "." || name == ".." || common::isBookkeepingName(name)) continue;
    // Only names a caller could pass back unchanged (valid, NFC).
    auto valid = common::normaliseName(name);
    if (!valid || *valid != name) continue;
    const auto path = childPath(*folder, name);
    struct stat st {};
    if (::fstatat(folderFd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if (S_ISLNK(st.st_mode)) {
      auto target = openBeneath(path, O_PATH, "cannot stat");
      if (!target || ::fstat(target->get(), &st) != 0) continue;
    }
    if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) continue;
    entries.push_back(entryFrom(path, st));
  }
  std::sort(entries.begin(), entries.end(),
            [](const EntryInfo& a, const EntryInfo& b) { return a.name < b.name; });
  return entries;
}

Status FilesystemTarget::remove(const std::string& rawPath, bool pruneEmptyParents) {
  auto normalised = common::normalisePath(rawPath, common::RootPolicy::Refuse);
  if (!normalised) return normalised.error();
  const std::string& path = *normalised;
  auto parent = openBeneath(parentPath(path), O_RDONLY | O_DIRECTORY, "cannot remove", path);
  if (!parent &&
      (parent.error().code == ErrorCode::Conflict || parent.error().code == ErrorCode::NotFound))
    return fail(ErrorCode::NotFound, "cannot remove " + quotePath(path) + ": no such file");
  if (!parent) return parent.error();
  const auto name = baseName(path);
  struct stat st {};
  if (::fstatat(parent->get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
    return errnoError(errno, "cannot remove", path);
  if (S_ISDIR(st.st_mode)) {
    return fail(ErrorCode::Conflict,
                "cannot remove " + quotePath(path) + ": it is a folder (remove() deletes files)");
  }
  if (::unlinkat(parent->get(), name.c_str(), 0) != 0)
    return errnoError(errno, "cannot remove", path);
  // Both modes: a sidecar may survive from an earlier configuration.
  const auto sidecar = common::sidecarName(name);
  if (::unlinkat(parent->get(), sidecar.c_str(), 0) != 0 && !noSidecar(errno))
    return errnoError(errno, "cannot remove the metadata sidecar of", path);
  if (auto ok = syncFolder(parent->get(), path); !ok) return ok;
  parent->reset();

  if (pruneEmptyParents) {
    // Best effort: stops at the first folder that is not empty (or cannot be removed).
    for (auto folder = parentPath(path); !folder.empty(); folder = parentPath(folder)) {
      auto above = openBeneath(parentPath(folder), O_RDONLY | O_DIRECTORY, "cannot prune");
      if (!above) break;
      if (::unlinkat(above->get(), baseName(folder).c_str(), AT_REMOVEDIR) != 0) break;
      (void)syncFolder(above->get(), folder);
    }
  }
  return {};
}

namespace {
Error alreadyThere(const std::string& from, const std::string& to) {
  return fail(ErrorCode::AlreadyExists,
              "cannot move " + quotePath(from) + " to " + quotePath(to) + ": the target exists");
}
}  // namespace

Status FilesystemTarget::move(const std::string& rawFrom, const std::string& rawTo) {
  auto from = common::normalisePath(rawFrom, common::RootPolicy::Refuse);
  if (!from) return from.error();
  auto to = common::normalisePath(rawTo, common::RootPolicy::Refuse);
  if (!to) return to.error();
  auto fromParent = openBeneath(parentPath(*from), O_RDONLY | O_DIRECTORY, "cannot move", *from);
  if (!fromParent && (fromParent.error().code == ErrorCode::Conflict ||
                      fromParent.error().code == ErrorCode::NotFound))
    return fail(ErrorCode::NotFound, "cannot move " + quotePath(*from) + ": no such file");
  if (!fromParent) return fromParent.error();
  const auto fromName = baseName(*from);
  struct stat st {};
  if (::fstatat(fromParent->get(), fromName.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
    return errnoError(errno, "cannot move", *from);
  if (S_ISDIR(st.st_mode))
    return fail(ErrorCode::Conflict, "cannot move " + quotePath(*from) + ": it is a folder");
  auto toParent = openParent(*to);
  if (!toParent) return toParent.error();
  // Folders ensureFolder() made for it are durable before the file appears in them.
  if (auto ok = syncNewFolders(); !ok) return ok;
  const auto toName = baseName(*to);
  const auto fromSidecar = common::sidecarName(fromName);
  const auto toSidecar = common::sidecarName(toName);
  struct stat sidecarStat {};
  if (toSidecar.size() > NAME_MAX &&
      ::fstatat(fromParent->get(), fromSidecar.c_str(), &sidecarStat, AT_SYMLINK_NOFOLLOW) == 0) {
    return fail(ErrorCode::InvalidArgument, "cannot move " + quotePath(*from) + " to " +
                                                quotePath(*to) +
                                                ": the name is too long for a metadata sidecar");
  }
  // The sidecar (both modes: one may survive from an earlier configuration) is stored at the
  // new name before the file's rename and removed at the old one after it, as put() stores a
  // sidecar before its file appears: a kill at any point leaves the file with its metadata
  // beside it, plus at most a sidecar whose file is not there, which recover() deletes.
  // Renaming the file first lost the metadata to a kill between the two renames.
  struct stat existing {};
  if (::fstatat(toParent->get(), toName.c_str(), &existing, AT_SYMLINK_NOFOLLOW) == 0)
    return alreadyThere(*from, *to);
  auto sidecar = readSidecarText(fromParent->get(), fromName, *from);
  if (!sidecar) return sidecar.error();
  if (*sidecar) {
    if (auto ok = storeSidecarText(toParent->get(), toName, **sidecar, *to); !ok) return ok;
  } else if (::unlinkat(toParent->get(), toSidecar.c_str(), 0) != 0 && !noSidecar(errno)) {
    // No sidecar: an orphan at the destination must not get adopted.
    return errnoError(errno, "cannot remove the metadata sidecar of", *to);
  }
  if (renameNoReplace(fromParent->get(), fromName, toParent->get(), toName) != 0) {
    const int error = errno;
    // The file did not move: the copy goes (if the name was taken meanwhile, our sidecar must
    // not describe someone else's file).
    if (*sidecar) ::unlinkat(toParent->get(), toSidecar.c_str(), 0);
    if (error == EEXIST) return alreadyThere(*from, *to);
    return errnoError(error, "cannot move " + quotePath(*from) + " to", *to);
  }
  if (observer_ != nullptr) observer_->placed(*to);
  if (auto ok = syncFolder(toParent->get(), *to); !ok) return ok;
  if (*sidecar && ::unlinkat(fromParent->get(), fromSidecar.c_str(), 0) != 0 && !noSidecar(errno))
    return errnoError(errno, "cannot remove the metadata sidecar of", *from);
  return syncFolder(fromParent->get(), *from);
}

Status FilesystemTarget::recover() {
  auto root = openBeneath("", O_RDONLY | O_DIRECTORY, "cannot open root for");
  if (!root) return root.error();
  RecoverTally tally;
  recoverFolder(root->release(), "", 0, tally);
  if (tally.temporaries + tally.sidecars > 0) {
    log(LogLevel::Info, "recover: removed " + std::to_string(tally.temporaries) +
                            " stale temporary file(s) and " + std::to_string(tally.sidecars) +
                            " orphan metadata sidecar(s) under " + root_);
  }
  // The root itself could not be listed: the walk failed, nothing was checked.
  if (tally.rootErrno != 0)
    return fail(common::errorCodeForErrno(tally.rootErrno),
                "recover: cannot list the root folder " + root_ + ": " +
                    std::error_code(tally.rootErrno, std::generic_category()).message());
  // Reported, not only logged: the plugin files on, but leaves no clean mark, so the next run
  // walks again.
  if (!tally.left.empty()) {
    std::string names;
    for (const auto& entry : tally.left) names += (names.empty() ? "" : ", ") + entry;
    return fail(ErrorCode::Incomplete,
                "recover: " + std::to_string(tally.left.size()) +
                    " leftover(s) of interrupted operations could not be removed or checked "
                    "under " +
                    root_ + ": " + names + "; the next recover() tries again");
  }
  return {};
}

void FilesystemTarget::RecoverTally::noteLeft(const std::string& path, int error) {
  left.push_back(quotePath(path) + " (" +
                 std::error_code(error, std::generic_category()).message() + ")");
}

void FilesystemTarget::recoverFolder(int folderFd, const std::string& path, int depth,
                                     RecoverTally& tally) const {
  // Takes ownership of folderFd (closedir closes it).
  DIR* dir = ::fdopendir(folderFd);
  if (dir == nullptr) {
    if (depth == 0)
      tally.rootErrno = errno;
    else
      tally.noteLeft(path, errno);
    ::close(folderFd);
    return;
  }
  std::unique_ptr<DIR, int (*)(DIR*)> owner(dir, &::closedir);
  std::vector<std::string> subfolders;
  /// A name and the type the listing gave it (d_type; DT_UNKNOWN where the filesystem has none).
  std::vector<std::pair<std::string, unsigned char>> entries;
  while (const dirent* entry = ::readdir(dir)) {
    const std::string name = entry->d_name;
    if (name == "." || name == "..") continue;
    entries.emplace_back(name, entry->d_type);
  }
  for (const auto& [name, type] : entries) {
    if (common::isTempName(name)) {
      if (::unlinkat(folderFd, name.c_str(), 0) == 0)
        ++tally.temporaries;
      else if (errno != ENOENT && errno != EISDIR)  // a folder by that name is none of our puts'
        tally.noteLeft(childPath(path, name), errno);
      continue;
    }
    if (const auto owner = common::fileOfSidecar(name); !owner.empty()) {
      struct stat st {};
      if (::fstatat(folderFd, owner.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) continue;
      if (errno != ENOENT)
        tally.noteLeft(childPath(path, owner), errno);
      else if (::unlinkat(folderFd, name.c_str(), 0) == 0)
        ++tally.sidecars;
      else if (errno != ENOENT)
        tally.noteLeft(childPath(path, name), errno);
      continue;
    }
    if (isFolderEntry(folderFd, name, type)) subfolders.push_back(name);
  }
  if (depth >= dms::kMaxFolderDepth) {
    if (!subfolders.empty())
      log(LogLevel::Warning, "recover: not descending below " + quotePath(path));
    return;
  }
  for (const auto& name : subfolders) {
    // O_NOFOLLOW: never walk into a symlink (it may lead outside the root).
    const int child =
        ::openat(folderFd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (child >= 0)
      recoverFolder(child, childPath(path, name), depth + 1, tally);
    else if (errno != ENOENT && errno != ELOOP && errno != ENOTDIR)  // gone or not a folder now
      tally.noteLeft(childPath(path, name), errno);
  }
}

}  // namespace dms::filesystem
