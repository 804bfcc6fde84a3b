#pragma once
/// A pseudo-terminal (openpty) for code that asks the user on a terminal: it reads from
/// terminal() (isatty is true there, unlike a pipe), the test types its answer with type().
/// Both ends are closed with the object.

#include <string>

namespace dms::test {

class PseudoTerminal {
 public:
  /// Throws std::runtime_error when no pseudo-terminal can be opened.
  PseudoTerminal();
  ~PseudoTerminal();
  PseudoTerminal(const PseudoTerminal&) = delete;
  PseudoTerminal& operator=(const PseudoTerminal&) = delete;

  /// The terminal's descriptor (the slave side): what a prompt reads from.
  int terminal() const { return terminal_; }
  /// Types `keys` on the terminal, as a user at its keyboard ("y\n": y, then Enter).
  void type(const std::string& keys);

 private:
  int keyboard_ = -1;  ///< the master side
  int terminal_ = -1;
};

}  // namespace dms::test
