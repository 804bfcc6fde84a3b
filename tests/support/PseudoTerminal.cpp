#include "support/PseudoTerminal.h"

#include <pty.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace dms::test {

PseudoTerminal::PseudoTerminal() {
  if (::openpty(&keyboard_, &terminal_, nullptr, nullptr, nullptr) != 0)
    throw std::runtime_error(std::string("openpty: ") + std::strerror(errno));
  // No echo: nobody reads the master side, so what is typed is not sent back there too.
  termios mode{};
  if (::tcgetattr(terminal_, &mode) == 0) {
    mode.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(terminal_, TCSANOW, &mode);
  }
}

PseudoTerminal::~PseudoTerminal() {
  ::close(terminal_);
  ::close(keyboard_);
}

void PseudoTerminal::type(const std::string& keys) {
  std::size_t done = 0;
  while (done < keys.size()) {
    const ssize_t n = ::write(keyboard_, keys.data() + done, keys.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0)
      throw std::runtime_error(std::string("typing on the pseudo-terminal: ") +
                               std::strerror(errno));
    done += static_cast<std::size_t>(n);
  }
}

}  // namespace dms::test
